-- One version may be stored more than once: when a partner posts a version
-- (same id and modified) that is stored but hidden from it, its post is stored
-- as a copy of its own instead of being answered "already present" or
-- "conflict", which would reveal the hidden version (issue 4). Reads serve, per
-- id and version, the earliest copy the reader may see. has_twin marks every
-- copy of such a version, so reads of the common, single-copy version skip
-- that check.
ALTER TABLE object_versions DROP CONSTRAINT object_versions_pkey;
ALTER TABLE object_versions ADD PRIMARY KEY (collection_id, object_id, version_key, date_added);
ALTER TABLE object_versions ADD COLUMN has_twin boolean NOT NULL DEFAULT false;
