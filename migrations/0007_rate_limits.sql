-- Request rate limits (issue 10). Per partner and per group: NULL inherits (a
-- partner from its groups, then from the server default), 0 is unlimited, a
-- positive value is requests per minute.
ALTER TABLE partners ADD COLUMN reads_per_minute integer CHECK (reads_per_minute >= 0);
ALTER TABLE partners ADD COLUMN writes_per_minute integer CHECK (writes_per_minute >= 0);
ALTER TABLE partner_groups ADD COLUMN reads_per_minute integer CHECK (reads_per_minute >= 0);
ALTER TABLE partner_groups ADD COLUMN writes_per_minute integer CHECK (writes_per_minute >= 0);

-- Requests counted per key (e.g. a partner's reads) and fixed window of one
-- minute, shared by every server process on this database so a limit holds
-- across TAXII_WORKERS and across machines. Unlogged: counts of the last two
-- minutes are worth no WAL, and a crash may forget them.
CREATE UNLOGGED TABLE rate_windows (
  key          text NOT NULL,
  window_start bigint NOT NULL,
  count        integer NOT NULL,
  PRIMARY KEY (key, window_start)
);
