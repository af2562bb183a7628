-- Core schema: configuration mirror (API roots, collections, partners, groups,
-- grants), object versions, status resources, server secrets.
-- Every object-related key starts with collection_id so the tables can be
-- distributed by collection unchanged.

CREATE TABLE api_roots (
  id                 text PRIMARY KEY,
  title              text NOT NULL,
  description        text,
  max_content_length bigint NOT NULL,
  active             boolean NOT NULL DEFAULT true
);

CREATE TABLE collections (
  id              uuid PRIMARY KEY,
  api_root_id     text NOT NULL REFERENCES api_roots (id),
  alias           text,
  title           text NOT NULL,
  description     text,
  active          boolean NOT NULL DEFAULT true,
  -- The greatest date_added handed out in this collection (microseconds since
  -- the epoch). Writers lock this row, so date_added is strictly increasing
  -- per collection and rows become visible in date_added order (TR7, TR15).
  last_date_added bigint NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX collections_alias ON collections (api_root_id, alias) WHERE alias IS NOT NULL AND active;

CREATE TABLE partners (
  id             text PRIMARY KEY,
  name           text NOT NULL,
  status         text NOT NULL CHECK (status IN ('active', 'suspended', 'removed')),
  api_key_hashes text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE partner_groups (
  id text PRIMARY KEY
);

CREATE TABLE group_members (
  group_id   text NOT NULL REFERENCES partner_groups (id) ON DELETE CASCADE,
  partner_id text NOT NULL REFERENCES partners (id),
  PRIMARY KEY (group_id, partner_id)
);

CREATE TABLE grants (
  collection_id uuid NOT NULL REFERENCES collections (id),
  partner_id    text REFERENCES partners (id),
  group_id      text REFERENCES partner_groups (id) ON DELETE CASCADE,
  can_read      boolean NOT NULL,
  can_write     boolean NOT NULL,
  CHECK ((partner_id IS NULL) <> (group_id IS NULL))
);
CREATE INDEX grants_partner ON grants (partner_id) WHERE partner_id IS NOT NULL;
CREATE INDEX grants_group ON grants (group_id) WHERE group_id IS NOT NULL;

-- One row per stored version of an object in a collection.
CREATE TABLE object_versions (
  collection_id uuid NOT NULL REFERENCES collections (id),
  object_id     text NOT NULL,
  object_type   text NOT NULL,
  -- The version as reported (modified, else created, else date_added: T47, TR10).
  version       text NOT NULL,
  -- Sortable instant of the version at any precision (TR9); compare with "C" collation.
  version_key   text COLLATE "C" NOT NULL,
  spec_version  text NOT NULL,
  date_added    bigint NOT NULL,
  is_first      boolean NOT NULL,
  is_last       boolean NOT NULL,
  -- SHA-256 of the canonical JSON, to tell a duplicate from a conflicting version (T71, TR24).
  content_hash  text NOT NULL,
  submitted_by  text NOT NULL,
  -- The object's JSON text exactly as received.
  raw           text NOT NULL,
  PRIMARY KEY (collection_id, object_id, version_key)
);
CREATE UNIQUE INDEX object_versions_added ON object_versions (collection_id, date_added);
CREATE INDEX object_versions_last ON object_versions (collection_id, date_added) WHERE is_last;
CREATE INDEX object_versions_type ON object_versions (collection_id, object_type, date_added);

CREATE TABLE statuses (
  id                uuid PRIMARY KEY,
  api_root_id       text NOT NULL,
  collection_id     uuid NOT NULL,
  partner_id        text NOT NULL,
  status            text NOT NULL CHECK (status IN ('pending', 'complete')),
  request_timestamp bigint NOT NULL,
  total_count       integer NOT NULL,
  success_count     integer NOT NULL,
  failure_count     integer NOT NULL,
  pending_count     integer NOT NULL,
  -- JSON text, not jsonb: jsonb cannot hold the \u0000 escape a rejected object may carry.
  successes         text,
  failures          text,
  pendings          text,
  updated_at        bigint NOT NULL
);
CREATE INDEX statuses_updated ON statuses (updated_at);

CREATE TABLE server_secrets (
  name  text PRIMARY KEY,
  value text NOT NULL
);
