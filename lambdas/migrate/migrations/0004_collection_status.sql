-- Per collector and WebSocket connection, upserted by the ingest Lambda from
-- the status snapshots collectors send through the queue.
CREATE TABLE collection_status (
  collector_id    text        NOT NULL,
  connection_id   text        NOT NULL,
  exchange        text        NOT NULL,
  state           text        NOT NULL,
  streams         integer     NOT NULL DEFAULT 0 CHECK (streams >= 0),
  last_message_at timestamptz NULL,
  reconnects      integer     NOT NULL DEFAULT 0 CHECK (reconnects >= 0),
  errors          integer     NOT NULL DEFAULT 0 CHECK (errors >= 0),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (collector_id, connection_id),
  CONSTRAINT collection_status_exchange_format CHECK (exchange ~ '^[a-z0-9]{2,20}$')
);
