-- The audit trail (issue 12): one row per push, pull, delete or administration
-- change. A read names every version it disclosed (object_ids[i] at versions[i]);
-- a write names every version it was sent, with what became of it (outcomes[i]).
CREATE TABLE audit_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at bigint NOT NULL,
  actor_kind text NOT NULL CHECK (actor_kind IN ('partner', 'admin')),
  actor text NOT NULL,
  address text,
  action text NOT NULL CHECK (action IN ('pull', 'push', 'delete', 'admin')),
  via text NOT NULL,
  api_root text,
  collection_id uuid,
  request_id text,
  object_ids text[] NOT NULL DEFAULT '{}',
  versions text[] NOT NULL DEFAULT '{}',
  outcomes text[],
  detail jsonb
);

-- The lists are most of each row (70 bytes a version served): lz4 compresses them
-- in a third of pglz's time. PGlite is built without lz4, and keeps pglz.
DO $$
BEGIN
  ALTER TABLE audit_events ALTER COLUMN object_ids SET COMPRESSION lz4, ALTER COLUMN versions SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  NULL;
END $$;

-- "What did partner P pull or push?"
CREATE INDEX audit_events_actor ON audit_events (actor, at);
-- "What happened in this collection?", and the range "who received X" searches.
CREATE INDEX audit_events_collection ON audit_events (collection_id, at);
-- Retention removes the oldest rows first, by id (ids grow with time).

-- "Who received this object?" No object can be disclosed in a collection before
-- it was first stored there, so the search reads only the collection's events
-- since then. The object ids of events are not indexed: an index entry per
-- version served would cost every read more than the 10% the trail may cost.
CREATE TABLE audit_object_first (
  object_id text NOT NULL,
  collection_id uuid NOT NULL,
  first_at bigint NOT NULL,
  PRIMARY KEY (object_id, collection_id)
);
INSERT INTO audit_object_first (object_id, collection_id, first_at)
  SELECT object_id, collection_id, min(date_added) FROM object_versions GROUP BY object_id, collection_id;
