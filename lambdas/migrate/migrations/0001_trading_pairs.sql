-- The platform's list of trading pairs. It exists before this project in some
-- environments (another service owns and fills it), so it is created only when
-- absent and with exactly the platform's columns; what the collector needs is
-- added by the next migration, which must cope with either origin.
CREATE TABLE IF NOT EXISTS trading_pairs (
  exchange    text NOT NULL,
  symbol      text NOT NULL,
  base_asset  text NOT NULL,
  quote_asset text NOT NULL,
  status      text NOT NULL DEFAULT 'TRADING',
  PRIMARY KEY (exchange, symbol)
);
