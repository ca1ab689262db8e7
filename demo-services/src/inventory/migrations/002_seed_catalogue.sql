INSERT INTO products (id, name, price_cents, stock) VALUES
  ('sku-espresso-beans', 'Espresso beans 1 kg', 2450, 500),
  ('sku-filter-papers', 'Filter papers (100)', 450, 1000),
  ('sku-grinder', 'Burr grinder', 12900, 150),
  ('sku-kettle', 'Gooseneck kettle', 5900, 200),
  ('sku-scale', 'Brewing scale', 3400, 300),
  ('sku-dripper', 'Ceramic dripper', 2800, 400),
  ('sku-mug', 'Stoneware mug', 1600, 800),
  ('sku-tamper', 'Espresso tamper', 3900, 120),
  ('sku-milk-jug', 'Milk jug 600 ml', 2100, 250),
  ('sku-limited-roast', 'Limited roast (single lot)', 5400, 25)
ON CONFLICT (id) DO NOTHING;
