/**
 * What a post does to each object, without a database (src/store/objects/write-decision.ts):
 * stored, already present (T71), conflict (S41, TR24), or a copy of its own when the
 * same version is stored but hidden from the submitter (issue 4); the first/last flags
 * of new and stored versions; date_added handed out in order.
 */
import t from 'tap';
import { UNMARKED } from '../../src/policy/write-policy.js';
import { versionKey } from '../../src/stix/timestamps.js';
import { decideWrites, sameContent, type ExistingVersion } from '../../src/store/objects/write-decision.js';
import type { IncomingObject } from '../../src/store/objects/types.js';

const ID = 'indicator--6f8a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b';
const SCO = 'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd';
const V1 = '2024-01-01T00:00:00.000Z';
const V2 = '2024-02-01T00:00:00.000Z';
const V3 = '2024-03-01T00:00:00.000Z';
const key = (v: string) => versionKey(v) as string;

function incoming(id: string, version: string | undefined, body: Record<string, unknown> = {}): IncomingObject {
  const type = id.split('--')[0] as string;
  return { id, type, version, specVersion: '2.1', raw: JSON.stringify({ type, id, ...(version !== undefined && { modified: version }), ...body }), facts: UNMARKED };
}

function stored(id: string, version: string, raw: string | undefined, visible = true, flags = { isFirst: true, isLast: true }): ExistingVersion {
  return { objectId: id, versionKey: key(version), version, ...flags, ...(raw !== undefined && { stored: { raw, visible } }) };
}

t.test('a new version is stored with the next date_added; the flags move', async (t) => {
  const d = decideWrites([stored(ID, V2, undefined)], [incoming(ID, V3), incoming(ID, V1)], 1000);
  t.same(d.outcomes.map((o) => o.kind), ['added', 'added']);
  t.same(d.inserts.map((n) => [n.version, n.dateAdded, n.isFirst, n.isLast]), [[V3, 1000, false, true], [V1, 1001, true, false]]);
  t.same(d.flagChanges, [{ objectId: ID, versionKey: key(V2), isFirst: false, isLast: false }], 'the stored V2 is neither first nor last now');
  t.equal(d.lastDateAdded, 1001);
});

t.test('the same version again: a duplicate when the content is the same, canonically; a conflict otherwise', async (t) => {
  const original = incoming(ID, V1, { name: 'a', labels: ['x'] });
  const sameReordered = { ...original, raw: JSON.stringify({ labels: ['x'], name: 'a', id: ID, type: 'indicator', modified: V1 }) };
  const d = decideWrites([stored(ID, V1, original.raw)], [sameReordered, incoming(ID, V1, { name: 'changed' })], 50);
  t.same(d.outcomes.map((o) => o.kind), ['duplicate', 'conflict']);
  t.match(d.outcomes[1], { message: /version 2024-01-01T00:00:00.000Z is already stored with different content.*\(S41, TR24\)/ });
  t.same(d.inserts, [], 'nothing stored');
  t.equal(d.lastDateAdded, 49, 'no date_added handed out');
  t.ok(sameContent(original.raw, sameReordered.raw));
});

t.test('a version stored but hidden from the submitter: stored again as a copy of its own (twin)', async (t) => {
  const d = decideWrites([stored(ID, V1, incoming(ID, V1, { name: 'secret' }).raw, false)], [incoming(ID, V1, { name: 'mine' })], 7);
  t.same(d.outcomes.map((o) => o.kind), ['added'], 'no conflict reveals the hidden version');
  t.same(d.inserts.map((n) => [n.twin, n.isFirst, n.isLast]), [[true, true, true]]);
  t.same(d.flagChanges, [], 'the hidden copy keeps its flags (both copies are first and last)');
});

t.test('the earliest visible copy decides; a second identical object in one post is a duplicate of the first', async (t) => {
  const visible = incoming(ID, V1, { name: 'seen' });
  const d = decideWrites(
    [stored(ID, V1, incoming(ID, V1, { name: 'hidden' }).raw, false), stored(ID, V1, visible.raw, true)],
    [incoming(ID, V2), incoming(ID, V2), visible],
    10,
  );
  t.same(d.outcomes.map((o) => o.kind), ['added', 'duplicate', 'duplicate']);
  t.same(d.inserts.map((n) => n.twin), [false]);
});

t.test('unversioned objects (SCOs) are known by id: other content is a conflict, a hidden one becomes a version of its own', async (t) => {
  const sco = incoming(SCO, undefined, { value: '198.51.100.7' });
  const d1 = decideWrites([stored(SCO, '2024-01-01T00:00:00.000001Z', sco.raw)], [sco, incoming(SCO, undefined, { value: 'other' })], 5);
  t.same(d1.outcomes.map((o) => o.kind), ['duplicate', 'conflict']);
  t.match(d1.outcomes[1], { message: /an object without modified cannot change/ });
  const d2 = decideWrites([stored(SCO, '2024-01-01T00:00:00.000001Z', sco.raw, false)], [sco], 1_700_000_000_000_000);
  t.same(d2.outcomes.map((o) => o.kind), ['added']);
  t.equal(d2.inserts[0]?.version, '2023-11-14T22:13:20.000000Z', 'its version is its date_added');
});
