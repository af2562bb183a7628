-- A leap second keeps its own version key (issue 14). Keys of versions written at
-- 23:59:60 were folded onto the next day's 00:00:00; the key is now the timestamp's
-- own text, which sorts the leap second before the day rolls over.
UPDATE object_versions
   SET version_key = left(version, 19) || '.' || rtrim(coalesce(substring(version from '\.([0-9]+)Z$'), ''), '0')
 WHERE substr(version, 18, 2) = '60';
