-- One payment per order: charge and refund are idempotent on order_id. A refund that arrives
-- before (or instead of) the charge leaves a VOIDED row, so a late charge is refused and no money
-- is kept for a cancelled order.
CREATE TABLE payments (
  order_id uuid PRIMARY KEY,
  user_id uuid,
  amount_cents integer NOT NULL,
  status text NOT NULL CHECK (status IN ('CHARGED', 'REFUNDED', 'VOIDED')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
