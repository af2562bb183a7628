-- A collection's validation level lives in the database with the rest of its
-- settings (issue 11), so a change applied to a running server takes effect on
-- the next POST instead of the next restart.
ALTER TABLE collections ADD COLUMN validation text NOT NULL DEFAULT 'standard'
  CHECK (validation IN ('strict', 'standard', 'permissive'));
