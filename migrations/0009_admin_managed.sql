-- Operators manage partners, keys, collections, groups and grants from the
-- command line as well as from the configuration file (issue 12). Each row says
-- who manages it: 'config' rows are the file's, and apply-config keeps them equal
-- to the file; 'admin' rows are the command line's (and the admin API's), and
-- apply-config never changes or removes them. Neither side may change the other's.
ALTER TABLE partners ADD COLUMN managed_by text NOT NULL DEFAULT 'config' CHECK (managed_by IN ('config', 'admin'));
ALTER TABLE partner_groups ADD COLUMN managed_by text NOT NULL DEFAULT 'config' CHECK (managed_by IN ('config', 'admin'));
ALTER TABLE collections ADD COLUMN managed_by text NOT NULL DEFAULT 'config' CHECK (managed_by IN ('config', 'admin'));
ALTER TABLE grants ADD COLUMN managed_by text NOT NULL DEFAULT 'config' CHECK (managed_by IN ('config', 'admin'));
ALTER TABLE group_members ADD COLUMN managed_by text NOT NULL DEFAULT 'config' CHECK (managed_by IN ('config', 'admin'));

-- API keys issued by the command line: shown once, stored as scrypt hashes, revoked
-- by id. Keys of partners the file manages stay in partners.api_key_hashes.
CREATE TABLE partner_keys (
  id         text PRIMARY KEY,
  partner_id text NOT NULL REFERENCES partners (id),
  hash       text NOT NULL,
  created_at bigint NOT NULL,
  revoked_at bigint
);
CREATE INDEX partner_keys_partner ON partner_keys (partner_id) WHERE revoked_at IS NULL;
