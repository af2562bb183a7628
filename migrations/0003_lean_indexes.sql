-- Fewer indexes to maintain on every insert (issue 5). Every read applies the
-- reader's policy, so the partial is_last index no longer serves any query; and
-- the primary key (collection_id, object_id, version_key) already serves every
-- lookup by object id (match[id], versions, single objects, derived-leakage
-- probes), whose few versions sort in memory.
DROP INDEX object_versions_last;
DROP INDEX object_versions_object;
