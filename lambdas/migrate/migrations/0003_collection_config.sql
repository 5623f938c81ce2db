-- One global, monotonically increasing configuration version. Every change to
-- collection_config or collection_settings takes the next value, so the config
-- API can publish "snapshot version N" and collectors can ignore anything older
-- (ConfigSnapshot.version in services/shared/config-snapshot.ts). A sequence is
-- never rolled back, so versions may have gaps but never repeat.
CREATE SEQUENCE config_version_seq AS bigint;

-- What to collect. No foreign key to trading_pairs: that table belongs to the
-- platform and may lag behind (or be filled by another service later); the
-- config API validates pairs against it instead.
CREATE TABLE collection_config (
  exchange   text        NOT NULL,
  symbol     text        NOT NULL,
  enabled    boolean     NOT NULL DEFAULT true,
  streams    text[]      NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text        NOT NULL DEFAULT current_user,
  version    bigint      NOT NULL DEFAULT nextval('config_version_seq'),
  PRIMARY KEY (exchange, symbol),
  CONSTRAINT collection_config_exchange_format CHECK (exchange ~ '^[a-z0-9]{2,20}$'),
  CONSTRAINT collection_config_symbol_format CHECK (symbol ~ '^[A-Z0-9]{2,20}$')
);

-- Runtime settings as one typed row rather than key/value pairs: each setting
-- gets a real type and the same bounds the collector validates
-- (runtimeSettingsSchema), so a bad value is refused by the database itself.
-- NULL means "use the collector's default". The `singleton` key allows one row.
CREATE TABLE collection_settings (
  singleton                  boolean          NOT NULL DEFAULT true PRIMARY KEY,
  persist_interval_ms        integer          NULL CHECK (persist_interval_ms BETWEEN 100 AND 3600000),
  anomaly_threshold_pct      double precision NULL CHECK (anomaly_threshold_pct > 0 AND anomaly_threshold_pct <= 1000),
  stale_after_ms             integer          NULL CHECK (stale_after_ms BETWEEN 1000 AND 86400000),
  max_streams_per_connection integer          NULL CHECK (max_streams_per_connection BETWEEN 1 AND 1024),
  -- History kept in price_change_rates, applied by partition maintenance (docs/database.md).
  retention_days             integer          NOT NULL DEFAULT 90 CHECK (retention_days BETWEEN 1 AND 3650),
  -- Daily partitions created ahead of time on the project-managed and pg_partman paths.
  partition_premake_days     integer          NOT NULL DEFAULT 7 CHECK (partition_premake_days BETWEEN 1 AND 90),
  updated_at                 timestamptz      NOT NULL DEFAULT now(),
  updated_by                 text             NOT NULL DEFAULT current_user,
  version                    bigint           NOT NULL DEFAULT nextval('config_version_seq'),
  CONSTRAINT collection_settings_single_row CHECK (singleton)
);

INSERT INTO collection_settings (singleton) VALUES (true) ON CONFLICT DO NOTHING;
