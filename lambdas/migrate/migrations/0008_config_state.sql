-- The committed configuration version as one row. Every config API write
-- takes this row's lock first (UPDATE ... RETURNING), draws the next value of
-- config_version_seq for itself and the rows it changes, and commits: config
-- writes are serialized, so versions become visible in the order they were
-- drawn and a published snapshot with version N contains every change up to N.
-- A maximum over collection_config could not serve: deleting the newest row
-- would move it backwards.
--
-- version 0 means "never configured through the API": collectors then collect
-- their SYMBOLS variable, and reconciliation publishes nothing (an empty
-- snapshot would stop every collector).
CREATE TABLE config_state (
  singleton  boolean     NOT NULL DEFAULT true PRIMARY KEY,
  version    bigint      NOT NULL DEFAULT 0 CHECK (version >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text        NOT NULL DEFAULT current_user,
  CONSTRAINT config_state_single_row CHECK (singleton)
);

-- Rows written before the API existed (by hand or a platform script) count as configured.
INSERT INTO config_state (singleton, version)
SELECT true, coalesce((SELECT max(version) FROM collection_config), 0)
ON CONFLICT DO NOTHING;
