-- TLP sharing policy (issue 4): partner clearance and communities, collection
-- policy, and what each object version needs for read-time filtering, computed
-- once at write time so every read filters inside its SQL query.
-- TLP levels are smallints: 0 clear, 1 green, 2 amber, 3 amber+strict, 4 red.

ALTER TABLE partners
  ADD COLUMN clearance   smallint NOT NULL DEFAULT 2,
  ADD COLUMN communities text[]   NOT NULL DEFAULT '{}',
  ADD COLUMN identity    text;

ALTER TABLE collections
  ADD COLUMN default_tlp              smallint NOT NULL DEFAULT 2,
  ADD COLUMN max_tlp                  smallint NOT NULL DEFAULT 4,
  ADD COLUMN require_marking          boolean  NOT NULL DEFAULT false,
  ADD COLUMN require_creator_identity boolean  NOT NULL DEFAULT false,
  ADD COLUMN granular_mode            text     NOT NULL DEFAULT 'withhold' CHECK (granular_mode IN ('withhold', 'redact')),
  ADD COLUMN hide_dangling            boolean  NOT NULL DEFAULT true;

ALTER TABLE object_versions
  -- Most restrictive TLP of object_marking_refs; NULL = unmarked (collection default at read time).
  ADD COLUMN tlp_level               smallint,
  -- Most restrictive TLP among granular markings; and among those selecting a required property.
  ADD COLUMN granular_level          smallint,
  ADD COLUMN granular_required_level smallint,
  -- Recipients named by recipients markings; NULL = unrestricted.
  ADD COLUMN recipient_partners      text[],
  ADD COLUMN recipient_communities   text[],
  -- Objects a relationship or sighting names (for derived-leakage filtering); NULL otherwise.
  ADD COLUMN refs                    text[];

-- Recipients markings by id, first definition wins (marking definitions are immutable).
CREATE TABLE recipient_markings (
  marking_id  text PRIMARY KEY,
  partners    text[] NOT NULL,
  communities text[] NOT NULL
);

CREATE INDEX object_versions_object ON object_versions (collection_id, object_id, date_added);
