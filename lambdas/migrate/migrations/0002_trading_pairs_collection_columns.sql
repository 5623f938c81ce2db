-- Extends the platform's existing trading_pairs with the collector's columns.
-- Every statement tolerates a table that already has rows (defaults are
-- constants, so PostgreSQL 11+ adds the columns without rewriting the table) and
-- one that already has some of the columns (an earlier manual change or a
-- platform release that added them): IF NOT EXISTS leaves those untouched.
ALTER TABLE trading_pairs
  ADD COLUMN IF NOT EXISTS collect            boolean     NOT NULL DEFAULT false,
  ADD COLUMN IF NOT EXISTS first_collected_at timestamptz NULL,
  ADD COLUMN IF NOT EXISTS updated_at         timestamptz NOT NULL DEFAULT now();

-- The config API lists the pairs being collected; a partial index keeps that
-- lookup small whatever the size of the platform's list.
CREATE INDEX IF NOT EXISTS trading_pairs_collect_idx ON trading_pairs (exchange, symbol) WHERE collect;
