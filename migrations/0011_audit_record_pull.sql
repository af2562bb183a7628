-- A read records its pull in the statement that reads the page (issue 12), by
-- calling this function from the page query's select list: no second statement,
-- no round trip, and no materialised copy of the page (which a data-modifying
-- WITH needs). The caller passes the instant (the application owns the clock's
-- expression), who read and where as one list (a statement planned on every read
-- resolves one parameter faster than seven), and whether the commit must wait for
-- the write-ahead log's flush: synchronous_commit set locally lasts until the end
-- of the statement's own transaction, which is that commit.
CREATE FUNCTION audit_record_pull(event_at bigint, context text[], object_ids text[], versions text[], flushed boolean)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF NOT flushed THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  -- context: actor kind, actor, address, via, API root, collection id, request id.
  INSERT INTO audit_events (at, actor_kind, actor, address, action, via, api_root, collection_id, request_id, object_ids, versions)
    VALUES (event_at, context[1], context[2], context[3], 'pull', context[4], context[5], context[6]::uuid, context[7],
      object_ids, versions);
  RETURN true;
END $$;
