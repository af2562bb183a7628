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

-- "Who received this object?"
CREATE INDEX audit_events_objects ON audit_events USING gin (object_ids);
-- "What did partner P pull or push?"
CREATE INDEX audit_events_actor ON audit_events (actor, at);
CREATE INDEX audit_events_collection ON audit_events (collection_id, at);
-- Retention removes the oldest rows first, by id (ids grow with time).
