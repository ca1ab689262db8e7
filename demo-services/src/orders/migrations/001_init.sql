CREATE TABLE orders (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'SHIPPED')),
  items jsonb NOT NULL,
  total_cents integer,
  note text,
  cancel_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_by_user ON orders (user_id, created_at DESC);

-- Saga state, persisted before each step. `step` is the next thing to do; a worker owns the saga
-- while lease_until is in the future, so a crashed worker's sagas are picked up after the lease.
CREATE TABLE sagas (
  order_id uuid PRIMARY KEY REFERENCES orders (id),
  step text NOT NULL CHECK (step IN ('RESERVE', 'CHARGE', 'CONFIRM', 'COMPENSATE', 'DONE')),
  release_needed boolean NOT NULL DEFAULT false,
  refund_needed boolean NOT NULL DEFAULT false,
  failure_reason text,
  attempts integer NOT NULL DEFAULT 0,
  lease_until timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sagas_open ON sagas (lease_until) WHERE step <> 'DONE';

CREATE TABLE idempotency_keys (
  user_id uuid NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  order_id uuid NOT NULL REFERENCES orders (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);

CREATE TABLE outbox (
  id uuid PRIMARY KEY,
  aggregate_id text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  trace_headers jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;

CREATE TABLE processed_messages (
  message_id uuid PRIMARY KEY,
  queue text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now()
);
