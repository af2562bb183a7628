/**
 * T5: TAXII resources are I-JSON (RFC 7493). Objects are stored and served as the
 * text received but checked as JSON.parse reads it, so text that other parsers read
 * differently is refused: per object when the ambiguity is inside it, the whole
 * request (422) when it is in the envelope itself.
 */
import type { LightMyRequestResponse } from 'fastify';
import t from 'tap';
import { C_RW, TAXII, createTestApp, type Status } from '../helpers/app.js';
import { indicator } from '../helpers/stix.js';

const ctx = await createTestApp();
t.teardown(() => ctx.close());
const RW = `/main/collections/${C_RW}/`;

const TLP_RED = 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed';
const TLP_WHITE = 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9';

/** POST a body given as text, so it can say what JSON.stringify never writes. */
function postText(payload: string): Promise<LightMyRequestResponse> {
  return ctx.request('alice', { method: 'POST', url: `${RW}objects/`, headers: { 'content-type': TAXII }, payload });
}

/** An object's JSON text with `extra` (raw JSON members) spliced in before the closing brace. */
function withMembers(object: Record<string, unknown>, extra: string): string {
  return `${JSON.stringify(object).slice(0, -1)},${extra}}`;
}

/** What a reader gets for an id: the texts of every stored version it may see. */
async function versionsSeen(partner: string, id: unknown): Promise<string[]> {
  const res = await ctx.request(partner, { url: `${RW}objects/${String(id)}/?match[version]=all` });
  if (res.statusCode === 404) return [];
  const objects = res.json<{ objects?: unknown[] }>().objects ?? [];
  return objects.map((o) => JSON.stringify(o));
}

t.test('T5 I-JSON, RFC 7493 §2.3: an object with object_marking_refs twice (TLP:RED, then TLP:WHITE) is refused, nothing of it stored', async (t) => {
  const twice = indicator();
  const lone = indicator();
  const clean = indicator();
  const body = `{"objects":[${withMembers(twice, `"object_marking_refs":["${TLP_RED}"],"object_marking_refs":["${TLP_WHITE}"]`)},${withMembers(
    lone,
    String.raw`"x_acme_note":"\uD800"`,
  )},${JSON.stringify(clean)}]}`;
  const res = await postText(body);
  t.equal(res.statusCode, 202, 'the request is taken: the problem is per object');
  const status = res.json<Status>();
  t.match(status, { total_count: 3, success_count: 1, failure_count: 2 }, 'one stored, two refused');
  t.same(status.successes?.map((s) => s.id), [clean['id']], 'the clean object is stored');
  t.same(
    status.failures,
    [
      {
        id: twice['id'],
        version: twice['modified'],
        message: 'indicator.object_marking_refs: member name appears twice in one object; ambiguous JSON is refused (I-JSON, RFC 7493 §2.3)',
      },
      {
        id: lone['id'],
        version: lone['modified'],
        message: String.raw`indicator.x_acme_note: string holds a lone surrogate \uD800, which is not a Unicode character; ambiguous JSON is refused (I-JSON, RFC 7493 §2.1)`,
      },
    ],
    'each failure names the type, the property path and the rule',
  );
  for (const partner of ['bob', 'alice']) {
    t.same(await versionsSeen(partner, twice['id']), [], `${partner} (reader) gets nothing of the RED/WHITE object`);
  }
  t.same(await versionsSeen('alice', lone['id']), [], 'nothing of the lone-surrogate object either');
  t.equal((await versionsSeen('bob', clean['id'])).length, 1, 'the clean object is served');
});

t.test('T5 I-JSON, RFC 7493 §2.2: 1e400 after null in the same property is refused, not "already present"', async (t) => {
  const first = indicator({ x_acme_score: null });
  const stored = await ctx.post('alice', RW, [first]);
  t.match(stored.json<Status>(), { success_count: 1, failure_count: 0 }, 'the version with null is stored');
  const { x_acme_score: _, ...rest } = first;
  for (const literal of ['1e400', '-1e999']) {
    const res = await postText(`{"objects":[${withMembers(rest, `"x_acme_score":${literal}`)}]}`);
    t.equal(res.statusCode, 202, `${literal}: status resource`);
    const status = res.json<Status>();
    t.same(status.successes ?? [], [], `${literal}: not a success ("already present")`);
    t.match(
      status.failures,
      [{ id: first['id'], version: first['modified'], message: new RegExp(`^indicator\\.x_acme_score: number ${literal} is beyond the range of an IEEE 754 double .*\\(I-JSON, RFC 7493 §2\\.2\\)$`) }],
      `${literal}: refused, naming the property and the rule`,
    );
  }
  t.same(await versionsSeen('alice', first['id']), [JSON.stringify(first)], 'only the version with null is stored');
});

t.test('T5 I-JSON, RFC 7493 §2.3, §2.2: an envelope with "objects" twice, or a number no double holds, is refused whole (422), nothing stored', async (t) => {
  const a = indicator();
  const b = indicator();
  const res = await postText(`{"objects":[${JSON.stringify(a)}],"objects":[${JSON.stringify(b)}]}`);
  t.equal(res.statusCode, 422, 'HTTP 422');
  t.equal(res.headers['content-type'], TAXII, 'a TAXII error resource');
  t.match(
    res.json<{ description?: string }>().description,
    /ambiguous JSON: member "objects" appears twice \(I-JSON, RFC 7493 §2\.3\)/,
    'the description names the problem and the rule',
  );
  for (const o of [a, b]) t.same(await versionsSeen('alice', o['id']), [], `nothing of ${String(o['id'])} stored`);

  const c = indicator();
  const number = await postText(`{"objects":[${JSON.stringify(c)}],"more":false,"x_acme":{"n":[1,-1e999]}}`);
  t.equal(number.statusCode, 422, 'a number no double can hold elsewhere in the envelope: HTTP 422');
  t.match(
    number.json<{ description?: string }>().description,
    /ambiguous JSON: x_acme\.n\[1\]: number -1e999 is beyond the range of an IEEE 754 double .*\(I-JSON, RFC 7493 §2\.2\)/,
    'the description gives the path in the envelope',
  );
  t.same(await versionsSeen('alice', c['id']), [], 'nothing stored');
});
