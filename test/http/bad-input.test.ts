/**
 * Every bad-input path: the right 4xx, a TAXII error resource (TR18) typed exactly
 * `application/taxii+json;version=2.1` (TR2), never a 500, and nothing stored.
 * Negotiation (§2, TR1), bodies (§10 E8, TR16, TR22–TR24), query parameters
 * (§7, T34, §12 table), unknown paths and trailing-slash tolerance (TR3).
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import t, { type Test } from 'tap';
import { C_HIDDEN, C_OTHER, C_RO, C_RW, TAXII, basicAuth, createTestApp, type TestApp } from '../helpers/app.js';
import { indicator, ipv4, malware, newVersion } from '../helpers/stix.js';

type Json = Record<string, unknown>;

const ctx = await createTestApp();
t.teardown(() => ctx.close());
const RW = `/main/collections/${C_RW}/`;
const RO = `/main/collections/${C_RO}/`;

/** inject() with exactly these headers (no defaults), so Accept/Content-Type can be absent. */
function raw(app: TestApp, headers: Record<string, string>, options: InjectOptions): Promise<LightMyRequestResponse> {
  return app.app.inject({ ...options, headers });
}

function body(res: LightMyRequestResponse): Json {
  return res.json<Json>();
}

/** TR18 error resource with the given status; returns the body for further checks. */
function isError(t: Test, res: LightMyRequestResponse, status: number, what: string, description?: RegExp): Json {
  t.equal(res.statusCode, status, `${what}: HTTP ${status}`);
  if (res.statusCode < 400) return {}; // a success where an error was due: the status assertion says it all
  t.equal(res.headers['content-type'], TAXII, `${what}: Content-Type exactly ${TAXII} (TR2, T19)`);
  let err: Json = {};
  try {
    err = body(res);
  } catch {
    t.fail(`${what}: body is not JSON: ${res.body.slice(0, 200)}`);
    return err;
  }
  const title = err['title'];
  t.ok(typeof title === 'string' && title.length > 0, `${what}: non-empty title (TR18), got ${JSON.stringify(title)}`);
  t.equal(err['http_status'], String(status), `${what}: http_status is the string "${status}" (§9.9)`);
  t.type(err['error_code'], 'string', `${what}: error_code`);
  t.type(err['error_id'], 'string', `${what}: error_id`);
  t.type(err['description'], 'string', `${what}: description`);
  const text = typeof err['description'] === 'string' ? err['description'] : '';
  t.ok(text.length >= 15, `${what}: description is a sentence, got "${text}"`);
  t.notMatch(text, /at .*\.(ts|js):\d+|SELECT |stack/i, `${what}: description leaks no internals`);
  if (description !== undefined) t.match(text, description, `${what}: description says what to do (${String(description)})`);
  return err;
}

/** Every stored version in RW, as a comparable list (manifest with match[version]=all). */
async function rwSnapshot(): Promise<unknown[]> {
  const res = await ctx.request('alice', { url: `${RW}manifest/?match[version]=all&limit=1000` });
  if (res.statusCode !== 200) throw new Error(`manifest failed: ${res.statusCode} ${res.body}`);
  const objects = body(res)['objects'];
  return Array.isArray(objects) ? objects : [];
}

function postRaw(payload: string, contentType: string | undefined, url = `${RW}objects/`): Promise<LightMyRequestResponse> {
  return raw(
    ctx,
    { accept: TAXII, authorization: basicAuth('alice'), ...(contentType !== undefined && { 'content-type': contentType }) },
    { method: 'POST', url, payload },
  );
}

// Some content so "nothing changed" checks compare against a non-empty collection.
const seedA = indicator();
const seedB = malware();
{
  const seeded = await ctx.post('alice', RW, [seedA, seedB]);
  if (seeded.statusCode !== 202) throw new Error(`seeding failed: ${seeded.body}`);
}

t.test('Accept negotiation: 406 for anything but TAXII 2.1 (T21, TR1)', async (t) => {
  const auth = { authorization: basicAuth('alice') };
  const refused: [string, Record<string, string>][] = [
    ['Accept missing', auth],
    ['Accept empty', { ...auth, accept: '' }],
    ['application/json', { ...auth, accept: 'application/json' }],
    ['TAXII 2.0', { ...auth, accept: 'application/taxii+json;version=2.0' }],
    ['TAXII 3.0', { ...auth, accept: 'application/taxii+json;version=3.0' }],
    ['TAXII 2.0 vendor type', { ...auth, accept: 'application/vnd.oasis.taxii+json; version=2.0' }],
    ['text/html', { ...auth, accept: 'text/html' }],
    ['TAXII 2.1 with q=0', { ...auth, accept: 'application/taxii+json;version=2.1;q=0' }],
  ];
  for (const url of ['/taxii2/', '/main/', `${RW}objects/`, `${RW}objects/${String(seedA['id'])}/`, '/main/status/x/']) {
    for (const [what, headers] of refused) {
      const res = await raw(ctx, headers, { url });
      isError(t, res, 406, `${what} on ${url}`, /application\/taxii\+json;version=2\.1/);
    }
  }
  const post = await raw(ctx, { ...auth, accept: 'application/json', 'content-type': TAXII }, {
    method: 'POST',
    url: `${RW}objects/`,
    payload: JSON.stringify({ objects: [indicator()] }),
  });
  isError(t, post, 406, 'POST with Accept: application/json');
  const del = await raw(ctx, { ...auth, accept: 'application/json' }, { method: 'DELETE', url: `${RW}objects/${String(seedA['id'])}/` });
  isError(t, del, 406, 'DELETE with Accept: application/json');
  t.equal((await ctx.request('alice', { url: `${RW}objects/${String(seedA['id'])}/` })).statusCode, 200, 'the refused DELETE deleted nothing');
  const anon = await raw(ctx, { accept: 'application/json' }, { url: '/taxii2/' });
  t.equal(anon.statusCode, 406, 'negotiation is answered before authentication, still an error resource');
  t.equal(anon.headers['content-type'], TAXII);

  const objects = await raw(ctx, { ...auth, accept: 'application/stix+json;version=2.1' }, { url: `${RW}objects/` });
  isError(t, objects, 406, 'STIX media type is not defined for Get Objects (TR1 step 3)');
});

t.test('Accept negotiation: TAXII 2.1, no version, wildcards accepted (T21, T20, TR1, A10)', async (t) => {
  const accepted = [
    TAXII,
    'application/taxii+json',
    'application/taxii+json; version=2.1',
    'APPLICATION/TAXII+JSON;VERSION=2.1',
    'application/taxii+json;version="2.1"',
    '*/*',
    'application/*',
    'application/json, application/taxii+json;version=2.1',
    'application/taxii+json;version=2.0, application/taxii+json;version=2.1',
    'text/html;q=0.9, */*;q=0.1',
  ];
  for (const accept of accepted) {
    for (const url of ['/taxii2/', `${RW}objects/`, `${RW}manifest/`]) {
      const res = await raw(ctx, { authorization: basicAuth('alice'), accept }, { url });
      t.equal(res.statusCode, 200, `Accept: ${accept} on ${url}`);
      t.equal(res.headers['content-type'], TAXII, `TR2: response typed ${TAXII} whatever the Accept`);
    }
  }
  for (const accept of ['application/stix+json;version=2.1', 'application/stix+json', `${TAXII},application/stix+json;version=2.1`]) {
    const res = await raw(ctx, { authorization: basicAuth('alice'), accept }, { url: `${RW}manifest/` });
    t.equal(res.statusCode, 200, `A10: manifest accepts Accept: ${accept}`);
    t.equal(body(res)['objects'] !== undefined, true, 'manifest body served');
    const noSlash = await raw(ctx, { authorization: basicAuth('alice'), accept }, { url: `${RW}manifest?limit=1` });
    t.equal(noSlash.statusCode, 200, `A10 also without trailing slash and with a query: ${accept}`);
  }
  const stix20 = await raw(ctx, { authorization: basicAuth('alice'), accept: 'application/stix+json;version=2.0' }, { url: `${RW}manifest/` });
  isError(t, stix20, 406, 'manifest with STIX 2.0 only');
  const post = await raw(ctx, { authorization: basicAuth('alice'), accept: '*/*', 'content-type': TAXII }, {
    method: 'POST',
    url: `${RW}objects/`,
    payload: JSON.stringify({ objects: [indicator()] }),
  });
  t.equal(post.statusCode, 202, 'POST with Accept */*');
});

t.test('POST Content-Type: 415 unless TAXII 2.1 (TR1, T23, §10 E8)', async (t) => {
  const before = await rwSnapshot();
  const payload = JSON.stringify({ objects: [indicator()] });
  const refused: [string, string | undefined][] = [
    ['application/json', 'application/json'],
    ['text/plain', 'text/plain'],
    ['missing', undefined],
    ['TAXII 2.0', 'application/taxii+json;version=2.0'],
    ['TAXII 2.0 with spaces', 'application/taxii+json; version=2.0'],
    ['STIX 2.1', 'application/stix+json;version=2.1'],
    ['vendor TAXII 2.0', 'application/vnd.oasis.taxii+json; version=2.0'],
    ['form', 'application/x-www-form-urlencoded'],
  ];
  for (const [what, type] of refused) {
    const res = await postRaw(payload, type);
    isError(t, res, 415, `Content-Type ${what}`, /Content-Type|application\/taxii\+json/);
  }
  t.same(await rwSnapshot(), before, 'nothing stored by refused requests');

  const accepted = [
    TAXII,
    'application/taxii+json',
    'application/taxii+json; charset=utf-8',
    'application/taxii+json;version=2.1; charset=utf-8',
    'application/taxii+json; version=2.1',
    'APPLICATION/TAXII+JSON;VERSION=2.1',
  ];
  for (const type of accepted) {
    const object = indicator();
    const res = await postRaw(JSON.stringify({ objects: [object] }), type);
    t.equal(res.statusCode, 202, `Content-Type: ${type} accepted (T23)`);
    t.match(body(res), { success_count: 1, failure_count: 0 });
    t.equal((await ctx.request('alice', { url: `${RW}objects/${String(object['id'])}/` })).statusCode, 200, 'and stored');
  }
});

t.test('malformed JSON body: 400 (TR22)', async (t) => {
  const before = await rwSnapshot();
  const bad = [
    '{"objects": [',
    '{objects: []}',
    "{'objects': []}",
    '{"objects": [{"type": "indicator",}]}',
    'not json at all',
    '',
    '   ',
    '{"objects": []} trailing',
  ];
  for (const payload of bad) {
    const res = await postRaw(payload, TAXII);
    isError(t, res, 400, `body ${JSON.stringify(payload)}`, /JSON/);
  }
  t.same(await rwSnapshot(), before, 'nothing stored');
});

t.test('JSON that is not an envelope: 422, nothing stored (TR22, §12)', async (t) => {
  const before = await rwSnapshot();
  const bare = indicator();
  const cases: [string, string][] = [
    ['array', JSON.stringify([indicator()])],
    ['string', '"objects"'],
    ['number', '42'],
    ['null', 'null'],
    ['true', 'true'],
    ['bare STIX object', JSON.stringify(bare)],
    ['{}', '{}'],
    ['objects is an object', '{"objects": {}}'],
    ['objects is a string', '{"objects": "indicator"}'],
    ['objects is null', '{"objects": null}'],
    ['objects is empty', '{"objects": []}'],
    ['misspelt objects', JSON.stringify({ object: [indicator()] })],
  ];
  for (const [what, payload] of cases) {
    const res = await postRaw(payload, TAXII);
    isError(t, res, 422, what, /objects|envelope|JSON object/);
  }
  const single = await postRaw(JSON.stringify(bare), TAXII);
  t.match(body(single)['description'], /indicator/, 'a bare object is recognised as such in the description');
  t.same(await rwSnapshot(), before, 'nothing stored');
  t.equal((await ctx.request('alice', { url: `${RW}objects/${String(bare['id'])}/` })).statusCode, 404, 'the bare object was not stored');
});

t.test('a STIX bundle is accepted as an envelope (TR23)', async (t) => {
  const a = indicator();
  const b = ipv4('203.0.113.9');
  const bundle = { type: 'bundle', id: `bundle--${randomUUID()}`, objects: [a, b] };
  const res = await postRaw(JSON.stringify(bundle), TAXII);
  t.equal(res.statusCode, 202);
  t.match(body(res), { status: 'complete', total_count: 2, success_count: 2, failure_count: 0, pending_count: 0 });
  const back = await ctx.request('alice', { url: `${RW}objects/?match[id]=${String(a['id'])},${String(b['id'])}` });
  t.equal((body(back)['objects'] as unknown[]).length, 2, 'both bundle members stored');
  const bundleLookup = await ctx.request('alice', { url: `${RW}objects/${bundle.id}/` });
  t.equal(bundleLookup.statusCode, 404, 'the bundle itself is not stored as an object');
  const bundle20 = { type: 'bundle', id: `bundle--${randomUUID()}`, spec_version: '2.0', objects: [indicator()] };
  const res20 = await postRaw(JSON.stringify(bundle20), TAXII);
  t.equal(res20.statusCode, 202, 'bundle keys (even a 2.0 spec_version) are ignored');
});

t.test('max_content_length: 413 above, accepted at exactly the limit (T56, TR16, A7)', async (t) => {
  const small = await createTestApp({ maxContentLength: 2048, maxMatchValues: 5 });
  t.teardown(() => small.close());
  const post = (payload: string | Readable, partner = 'alice', url = `${RW}objects/`): Promise<LightMyRequestResponse> =>
    raw(small, { accept: TAXII, authorization: basicAuth(partner), 'content-type': TAXII }, { method: 'POST', url, payload });
  /** An envelope with one object, padded with spaces to exactly `size` bytes. */
  const sized = (size: number, object: Json = indicator()): string => {
    const text = JSON.stringify({ objects: [object] });
    if (Buffer.byteLength(text) > size) throw new Error('object too large for the requested size');
    return `${text}${' '.repeat(size - Buffer.byteLength(text))}`;
  };
  const info = await small.request('alice', { url: '/main/' });
  t.equal(body(info)['max_content_length'], 2048, 'the advertised limit');

  const exact = indicator();
  const atLimit = await post(sized(2048, exact));
  t.equal(atLimit.statusCode, 202, 'a body of exactly max_content_length is not 413 (TR16)');
  t.equal((await small.request('alice', { url: `${RW}objects/${String(exact['id'])}/` })).statusCode, 200, 'and stored');
  const below = await post(sized(2047));
  t.equal(below.statusCode, 202, 'T56: smaller than the limit is never 413');

  const over = indicator();
  isError(t, await post(sized(2049, over)), 413, 'one byte over', /max_content_length|2048/);
  isError(t, await post(sized(100_000)), 413, 'far over');
  isError(t, await post(sized(2049), 'alice', `${RW}objects`), 413, 'one byte over, no trailing slash');
  const multibyte = JSON.stringify({ objects: [indicator({ name: 'é'.repeat(900) })] });
  t.ok(multibyte.length <= 2048 && Buffer.byteLength(multibyte) > 2048, 'fixture: under the limit in characters, over in bytes');
  isError(t, await post(multibyte), 413, 'the limit counts octets, not characters');
  const chunked = (payload: string): Promise<LightMyRequestResponse> =>
    raw(small, { accept: TAXII, authorization: basicAuth('alice'), 'content-type': TAXII, 'transfer-encoding': 'chunked' }, {
      method: 'POST', url: `${RW}objects/`, payload: Readable.from([Buffer.from(payload.slice(0, 1000)), Buffer.from(payload.slice(1000))]),
    });
  const streamed = await chunked(sized(2049, indicator()));
  isError(t, streamed, 413, 'TR16: enforced on the body read, not only on Content-Length (chunked, no Content-Length)');
  const streamedOk = await chunked(sized(2048, indicator()));
  t.equal(streamedOk.statusCode, 202, 'a streamed body of exactly the limit is accepted');
  const overLookup = await small.request('alice', { url: `${RW}objects/${String(over['id'])}/` });
  t.equal(overLookup.statusCode, 404, 'nothing of a refused body is stored');
  const notTaxii = await raw(small, { accept: TAXII, authorization: basicAuth('alice'), 'content-type': 'application/json' }, {
    method: 'POST', url: `${RW}objects/`, payload: sized(5000),
  });
  t.ok(notTaxii.statusCode === 413 || notTaxii.statusCode === 415, `oversized and wrongly typed: 413 or 415, got ${notTaxii.statusCode}`);

  const otherRoot = await post(sized(4096), 'bob', `/other/collections/${C_OTHER}/objects/`);
  t.equal(otherRoot.statusCode, 202, 'the limit is per API root: /other/ (1 MiB) takes 4 KiB');

  // The default app: 1 MiB.
  const mib = 1048576;
  const big = await postRaw(sized(mib + 1), TAXII);
  isError(t, big, 413, 'default root: 1 MiB + 1 byte');
  const exactMib = await postRaw(sized(mib), TAXII);
  t.equal(exactMib.statusCode, 202, 'default root: exactly 1 MiB accepted');

  t.test('too many match values (maxMatchValues 5): 400', async (t) => {
    const ids = Array.from({ length: 6 }, () => `indicator--${randomUUID()}`);
    isError(t, await small.request('alice', { url: `${RW}objects/?match[id]=${ids.join(',')}` }), 400, '6 match[id] values', /at most 5/);
    const five = await small.request('alice', { url: `${RW}objects/?match[id]=${ids.slice(0, 5).join(',')}` });
    t.equal(five.statusCode, 200, '5 values are fine');
    const types = 'indicator,malware,tool,campaign,report,identity';
    isError(t, await small.request('alice', { url: `${RW}manifest/?match[type]=${types}` }), 400, '6 match[type] values');
    const versions = 'first,last,2024-01-01T00:00:00.000Z,2024-01-02T00:00:00.000Z,2024-01-03T00:00:00.000Z,2024-01-04T00:00:00.000Z';
    isError(t, await small.request('alice', { url: `${RW}objects/?match[version]=${versions}` }), 400, '6 match[version] values');
  });
});

t.test('malformed query parameters: 400 on every filtering endpoint (T34, §7, §12)', async (t) => {
  const id = String(seedA['id']);
  const other = String(seedB['id']);
  const malformed: [string, string, RegExp][] = [
    ['limit=0', 'limit=0', /limit/],
    ['limit=-1', 'limit=-1', /limit/],
    ['limit=abc', 'limit=abc', /limit/],
    ['limit=1.5', 'limit=1.5', /limit/],
    ['limit= (empty)', 'limit=', /limit/],
    ['limit=1e3', 'limit=1e3', /limit/],
    ['duplicate limit', 'limit=1&limit=2', /limit/],
    ['added_after=yesterday', 'added_after=yesterday', /added_after/],
    ['added_after with +01:00 offset', 'added_after=2024-01-01T00:00:00%2B01:00', /added_after/],
    ['added_after with raw + (decodes to space)', 'added_after=2024-01-01T00:00:00+01:00', /added_after/],
    ['added_after date only', 'added_after=2024-01-01', /added_after/],
    ['added_after impossible date', 'added_after=2024-02-30T00:00:00Z', /added_after/],
    ['added_after empty', 'added_after=', /added_after/],
    ['two added_after (T35)', 'added_after=2024-01-01T00:00:00Z&added_after=2024-01-02T00:00:00Z', /added_after/],
    ['match[version]=all,last (T46)', 'match[version]=all,last', /match\[version\]/],
    ['match[version]=nonsense', 'match[version]=nonsense', /match\[version\]/],
    ['match[version]= (empty)', 'match[version]=', /match\[version\]/],
    ['match[version] bad timestamp', 'match[version]=2024-13-01T00:00:00.000Z', /match\[version\]/],
    ['match[version] twice (T43)', 'match[version]=first&match[version]=last', /match\[version\]/],
    ['match[spec_version]=x', 'match[spec_version]=x', /match\[spec_version\]/],
    ['match[spec_version]= (empty)', 'match[spec_version]=', /match\[spec_version\]/],
    ['match[spec_version]=2.1,,2.0', 'match[spec_version]=2.1,,2.0', /match\[spec_version\]/],
    ['next=garbage', 'next=garbage', /next/],
    ['next= (empty)', 'next=', /next/],
    ['next forged', 'next=eyJzIjoib2JqZWN0cyJ9.AAAA', /next/],
  ];
  const listOnly: [string, string, RegExp][] = [
    ['match[id]=not-an-id', 'match[id]=not-an-id', /match\[id\]/],
    ['match[id]= (empty)', 'match[id]=', /match\[id\]/],
    ['match[id]=a,,b', `match[id]=${id},,${other}`, /match\[id\]/],
    ['match[id] trailing comma', `match[id]=${id},`, /match\[id\]/],
    ['match[id] with a space after the comma (T44)', `match[id]=${id},%20${other}`, /match\[id\]/],
    ['match[id] non-UUID suffix', 'match[id]=indicator--1234', /match\[id\]/],
    ['match[id] twice (T43)', `match[id]=${id}&match[id]=${other}`, /match\[id\]/],
    ['match[type]=Not_A_Type', 'match[type]=Not_A_Type', /match\[type\]/],
    ['match[type]= (empty)', 'match[type]=', /match\[type\]/],
    ['match[type]=indicator,,malware', 'match[type]=indicator,,malware', /match\[type\]/],
    ['match[type] percent-encoded brackets', 'match%5Btype%5D=Not_A_Type', /match\[type\]/],
  ];
  const endpoints: [string, string, [string, string, RegExp][]][] = [
    ['Get Objects', `${RW}objects/`, [...malformed, ...listOnly]],
    ['Get Object Manifests', `${RW}manifest/`, [...malformed, ...listOnly]],
    ['Get an Object', `${RW}objects/${id}/`, malformed],
    ['Get Object Versions', `${RW}objects/${id}/versions/`, malformed.filter(([what]) => !what.startsWith('match[version]'))],
  ];
  for (const [name, url, cases] of endpoints) {
    for (const [what, query, description] of cases) {
      const res = await ctx.request('alice', { url: `${url}?${query}` });
      isError(t, res, 400, `${name} ${what}`, description);
    }
  }
  const delCases: [string, string][] = [
    ['match[version]=nonsense', 'match[version]=nonsense'],
    ['match[version]=all,first', 'match[version]=all,first'],
    ['match[spec_version]=x', 'match[spec_version]=x'],
  ];
  for (const [what, query] of delCases) {
    const res = await ctx.request('alice', { method: 'DELETE', url: `${RW}objects/${id}/?${query}` });
    isError(t, res, 400, `Delete an Object ${what}`);
  }
  t.equal((await ctx.request('alice', { url: `${RW}objects/${id}/` })).statusCode, 200, 'refused DELETEs deleted nothing');
});

t.test('a next token is bound to its collection (TR14, §12: invalid next ⇒ 400)', async (t) => {
  const first = await ctx.request('alice', { url: `${RW}objects/?limit=1` });
  t.equal(first.statusCode, 200);
  const next = body(first)['next'];
  t.type(next, 'string', 'a first page of one item has a next token');
  const token = encodeURIComponent(String(next));
  const elsewhere = await ctx.request('alice', { url: `${RO}objects/?next=${token}` });
  isError(t, elsewhere, 400, 'next from another collection', /next/);
  const manifest = await ctx.request('alice', { url: `${RW}manifest/?next=${token}` });
  isError(t, manifest, 400, 'next from another endpoint', /next/);
  const tampered = `${String(next).slice(0, -2)}${String(next).endsWith('AA') ? 'BB' : 'AA'}`;
  isError(t, await ctx.request('alice', { url: `${RW}objects/?next=${encodeURIComponent(tampered)}` }), 400, 'altered next', /next/);
  const bob = await ctx.request('bob', { url: `${RW}objects/?next=${token}` });
  isError(t, bob, 400, 'next issued to another partner', /next/);
  const changed = await ctx.request('alice', { url: `${RW}objects/?next=${token}&match[type]=malware` });
  isError(t, changed, 400, 'next with different filters', /filter/);
  const good = await ctx.request('alice', { url: `${RW}objects/?limit=1&next=${token}` });
  t.equal(good.statusCode, 200, 'the token itself works');
});

t.test('unknown and unlisted parameters are ignored (T42, TR8)', async (t) => {
  const id = String(seedA['id']);
  const plain = await ctx.request('alice', { url: `${RW}objects/` });
  for (const query of ['match[foo]=bar', 'match[foo]=', 'match[created_by_ref]=identity--x', 'foo=bar', 'match[foo]=1&match[foo]=2']) {
    const res = await ctx.request('alice', { url: `${RW}objects/?${query}` });
    t.equal(res.statusCode, 200, `T42: ${query} ignored`);
    t.equal(res.body, plain.body, `${query}: same result as without it`);
  }
  const objectWithId = await ctx.request('alice', { url: `${RW}objects/${id}/?match[id]=garbage&match[type]=Not_A_Type` });
  t.equal(objectWithId.statusCode, 200, 'TR8: match[id]/match[type] are not Get an Object parameters and are ignored');
  const versionsWithVersion = await ctx.request('alice', { url: `${RW}objects/${id}/versions/?match[version]=nonsense` });
  t.equal(versionsWithVersion.statusCode, 200, 'TR8: match[version] is not a Versions parameter and is ignored');
  const encoded = await ctx.request('alice', { url: `${RW}objects/?match%5Bid%5D=${id}` });
  t.equal(encoded.statusCode, 200);
  t.same((body(encoded)['objects'] as Json[]).map((o) => o['id']), [id], 'percent-encoded brackets are the same parameter');
  const limitOne = await ctx.request('alice', { url: `${RW}objects/${id}/?limit=1` });
  t.equal(limitOne.statusCode, 200, 'a valid limit is fine');
});

t.test('unknown paths and wrong methods: 404/405 TAXII error, never 500', async (t) => {
  const id = String(seedA['id']);
  const unknown = [
    '/',
    '/taxii',
    '/taxii2/extra/',
    '/nope/',
    '/nope/collections/',
    `/nope/collections/${C_RW}/objects/`,
    '/main/nothing/',
    '/main/collections/nope/',
    `/main/collections/${randomUUID()}/`,
    `/main/collections/${randomUUID()}/objects/`,
    `/main/collections/${C_HIDDEN}/`,
    `/main/collections/${C_HIDDEN}/objects/`,
    `/main/collections/${C_OTHER}/objects/`,
    `${RW}nothing/`,
    `${RW}objects/${id}/versions/extra/`,
    `${RW}objects/${id}/nothing/`,
    `${RW}objects/not-an-id/`,
    `${RW}objects/indicator--${randomUUID()}/`,
    `${RW}objects/indicator--${randomUUID()}/versions/`,
    '/main/status/',
    `/main/status/${randomUUID()}/`,
    '/main/status/not-a-uuid/',
    '/main/status/%00/',
  ];
  for (const url of unknown) {
    const res = await ctx.request('alice', { url });
    isError(t, res, 404, `GET ${url}`, /No |not/);
  }
  // Requests the router itself refuses must still leave as TAXII error resources (TR18, T19).
  const longId = await ctx.request('alice', { url: `${RW}objects/indicator--${'a'.repeat(2000)}/` });
  t.ok(longId.statusCode === 404 || longId.statusCode === 414, `object id of 2000 characters: 404 (or 414), got ${longId.statusCode}`);
  isError(t, longId, longId.statusCode, 'object id longer than the router limit');
  const badEncoding = await ctx.request('alice', { url: '/main/collections/%E0%A4%A/' });
  t.ok(badEncoding.statusCode === 400 || badEncoding.statusCode === 404, `undecodable path: 400 or 404, got ${badEncoding.statusCode}`);
  isError(t, badEncoding, badEncoding.statusCode, 'undecodable percent-encoding in the path');
  const hidden = body(await ctx.request('alice', { url: `/main/collections/${C_HIDDEN}/` }));
  const absentId = randomUUID();
  const absent = body(await ctx.request('alice', { url: `/main/collections/${absentId}/` }));
  t.equal(
    String(hidden['description']).replace(C_HIDDEN, 'X'),
    String(absent['description']).replace(absentId, 'X'),
    'TR18: a hidden collection and a missing one are indistinguishable',
  );
  const postUnknown = await ctx.post('alice', `/main/collections/${randomUUID()}/`, [indicator()]);
  isError(t, postUnknown, 404, 'POST to an unknown collection');
  const postHidden = await ctx.post('alice', `/main/collections/${C_HIDDEN}/`, [indicator()]);
  isError(t, postHidden, 404, 'POST to a collection without grants');

  const wrongMethods: [string, string][] = [
    ['PUT', `${RW}objects/`],
    ['PATCH', `${RW}objects/${id}/`],
    ['POST', `${RW}objects/${id}/`],
    ['POST', '/taxii2/'],
    ['DELETE', `${RW}objects/`],
    ['DELETE', RW],
    ['POST', `${RW}manifest/`],
  ];
  for (const [method, url] of wrongMethods) {
    const res = await ctx.request('alice', {
      method: method as InjectOptions['method'],
      url,
      headers: { 'content-type': TAXII },
      payload: JSON.stringify({ objects: [indicator()] }),
    });
    t.ok(res.statusCode === 404 || res.statusCode === 405, `${method} ${url}: 404 or 405, got ${res.statusCode}`);
    isError(t, res, res.statusCode, `${method} ${url}`);
  }
  t.equal((await ctx.request('alice', { url: `${RW}objects/${id}/` })).statusCode, 200, 'wrong methods changed nothing');
});

t.test('NUL characters and deep nesting are bad input, never a 500 (TR18, T34)', async (t) => {
  const paths: [string, InjectOptions['method'], string][] = [
    ['API root %00', 'GET', '/%00/'],
    ['collections of root %00', 'GET', '/%00/collections/'],
    ['collection %00', 'GET', '/main/collections/%00/'],
    ['collection a%00b', 'GET', '/main/collections/a%00b/objects/'],
    ['object %00', 'GET', `${RW}objects/%00/`],
    ['object indicator--%00', 'GET', `${RW}objects/indicator--%00/`],
    ['versions of indicator--%00', 'GET', `${RW}objects/indicator--%00/versions/`],
    ['delete %00', 'DELETE', `${RW}objects/%00/`],
    ['status %00', 'GET', '/main/status/%00/'],
  ];
  for (const [what, method, url] of paths) {
    const res = await ctx.request('alice', { method, url });
    t.ok(res.statusCode === 404 || res.statusCode === 400, `${what}: 404 (or 400), got ${res.statusCode}`);
    isError(t, res, res.statusCode, `${method ?? 'GET'} ${what}`);
  }
  const query = await ctx.request('alice', { url: `${RW}objects/?match[id]=indicator--%00` });
  isError(t, query, 400, 'match[id] with NUL');

  const before = await rwSnapshot();
  const good = indicator();
  const nulId = indicator({ id: 'indicator--\u0000' });
  const nulModified = indicator({ modified: '2024-01-01T00:00:00.000Z\u0000' });
  const nulType = indicator({ type: 'indicator\u0000' });
  const res = await ctx.post('alice', RW, [nulId, nulModified, nulType, good]);
  t.equal(res.statusCode, 202, `NUL in id/modified/type of rejected objects: 202 with failures, got ${res.statusCode}`);
  if (res.statusCode === 202) {
    t.match(body(res), { total_count: 4, success_count: 1, failure_count: 3, pending_count: 0 }, 'TR17 counts');
  } else {
    isError(t, res, res.statusCode, 'POST with NUL characters');
  }
  const after = await rwSnapshot();
  t.ok(after.length === before.length + 1 || after.length === before.length, 'no invalid object stored');

  const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
  const nested = indicator();
  const text = `${JSON.stringify(nested).slice(0, -1)},"x_deep":${deep(50_000)}}`;
  const deepRes = await postRaw(`{"objects":[${text},${deep(50_000)}]}`, TAXII);
  t.equal(deepRes.statusCode, 202, 'deeply nested content is a per-object failure');
  t.match(body(deepRes), { total_count: 2, success_count: 0, failure_count: 2 });
  t.match((body(deepRes)['failures'] as Json[])[0], { id: nested['id'], message: /deep|nest/ });
});

t.test('per-object failures: 202, each listed with a message naming the property, valid ones stored (TR17, TR22)', async (t) => {
  const good1 = indicator();
  const good2 = ipv4('192.0.2.44');
  const uuid = randomUUID();
  const cases: [string, unknown, RegExp, string | undefined][] = [
    ['not an object (number)', 42, /STIX object|JSON object/, undefined],
    ['not an object (string)', 'indicator', /STIX object|JSON object/, undefined],
    ['not an object (null)', null, /STIX object|JSON object/, undefined],
    ['not an object (list)', [indicator()], /STIX object|JSON object/, undefined],
    ['missing type', (() => { const o = indicator(); delete o['type']; return o; })(), /\btype\b/, undefined],
    ['type not a type name', indicator({ type: 'Not_A_Type', id: `Not_A_Type--${uuid}` }), /\btype\b/, `Not_A_Type--${uuid}`],
    ['missing id', (() => { const o = indicator(); delete o['id']; return o; })(), /\bid\b/, undefined],
    ['bad id prefix', indicator({ id: `malware--${randomUUID()}` }), /indicator\.id/, undefined],
    ['id with non-UUID', indicator({ id: 'indicator--1234' }), /indicator\.id/, 'indicator--1234'],
    ['spec_version 2.0', indicator({ spec_version: '2.0' }), /spec_version/, undefined],
    ['spec_version missing on an SDO', (() => { const o = indicator(); delete o['spec_version']; return o; })(), /spec_version/, undefined],
    ['created without ms precision', indicator({ created: '2024-01-01T00:00:00Z', modified: '2024-01-01T00:00:00Z' }), /created/, undefined],
    ['created not a timestamp', indicator({ created: 'yesterday', modified: '2024-01-01T00:00:00.000Z' }), /created/, undefined],
    ['modified missing on an SDO', (() => { const o = indicator(); delete o['modified']; return o; })(), /modified/, undefined],
    ['modified before created', indicator({ created: '2024-02-01T00:00:00.000Z', modified: '2024-01-01T00:00:00.000Z' }), /modified/, undefined],
    [
      'marking-definition with modified',
      {
        type: 'marking-definition', spec_version: '2.1', id: `marking-definition--${randomUUID()}`,
        created: '2024-01-01T00:00:00.000Z', modified: '2024-01-01T00:00:00.000Z',
        definition_type: 'statement', definition: { statement: 'internal' },
      },
      /modified/,
      undefined,
    ],
    ['nested bundle', { type: 'bundle', id: `bundle--${randomUUID()}`, objects: [indicator()] }, /bundle/, undefined],
  ];
  const objects: unknown[] = [good1, ...cases.map(([, o]) => o), good2];
  const before = await rwSnapshot();
  const res = await ctx.post('alice', RW, objects);
  t.equal(res.statusCode, 202, 'per-object problems do not fail the request');
  t.equal(res.headers['content-type'], TAXII);
  const status = body(res);
  const failures = (status['failures'] ?? []) as Json[];
  const successes = (status['successes'] ?? []) as Json[];
  t.match(status, { status: 'complete', total_count: objects.length, success_count: 2, failure_count: cases.length, pending_count: 0 }, 'TR17: exact counts');
  t.equal(failures.length, cases.length, 'TR17: failures list length = failure_count');
  t.equal(successes.length, 2, 'TR17: successes list length = success_count');
  t.notOk('pendings' in status, 'no empty pendings list');
  t.same(successes.map((s) => s['id']).sort(), [good1['id'], good2['id']].sort(), 'the valid objects succeeded');
  for (const f of failures) {
    t.type(f['id'], 'string', 'status-details id is a string');
    t.type(f['version'], 'string', 'status-details version is a string (§9.3 required)');
    t.type(f['message'], 'string', 'each failure has a message');
  }
  const failureIds = failures.map((f) => f['id']);
  t.equal(new Set(failureIds).size, failureIds.length, 'each failure listed once');
  cases.forEach(([what, object, message, expectedId], i) => {
    const objectId = expectedId ?? (object !== null && typeof object === 'object' && !Array.isArray(object) ? (object as Json)['id'] : undefined);
    const entry = typeof objectId === 'string'
      ? failures.find((f) => f['id'] === objectId)
      : failures.find((f) => f['id'] === `objects[${i + 1}]`);
    t.ok(entry, `${what}: listed in failures (id ${String(objectId ?? `objects[${i + 1}]`)})`);
    if (entry !== undefined) t.match(entry['message'], message, `${what}: message names the problem: "${String(entry['message'])}"`);
  });
  for (const good of [good1, good2]) {
    t.equal((await ctx.request('alice', { url: `${RW}objects/${String(good['id'])}/` })).statusCode, 200, `${String(good['id'])} stored in the same request`);
  }
  const after = await rwSnapshot();
  t.equal(after.length, before.length + 2, 'exactly the two valid objects were added');
  const stored = await ctx.request('alice', { url: `${RW}objects/?match[version]=all&limit=1000` });
  const storedIds = new Set((body(stored)['objects'] as Json[]).map((o) => o['id']));
  for (const [what, object] of cases) {
    if (object !== null && typeof object === 'object' && !Array.isArray(object) && typeof (object as Json)['id'] === 'string') {
      t.notOk(storedIds.has((object as Json)['id']), `${what}: not stored`);
    }
  }
  const again = await ctx.request('alice', { url: `/main/status/${String(status['id'])}/` });
  t.same(body(again), status, 'the status resource reads back identically (E3)');

  const allBad = await ctx.post('alice', RW, [42, indicator({ spec_version: '2.0' })]);
  t.equal(allBad.statusCode, 202, 'all objects failing is still 202');
  t.match(body(allBad), { total_count: 2, success_count: 0, failure_count: 2, pending_count: 0 });
  t.notOk('successes' in body(allBad), 'no empty successes list');
});

t.test('same id and modified with different content: failure, stored version kept (TR24)', async (t) => {
  const original = malware({ name: 'original' });
  t.equal((await ctx.post('alice', RW, [original])).statusCode, 202);
  const url = `${RW}objects/${String(original['id'])}/`;
  const stored = (await ctx.request('alice', { url })).body;

  const changed = { ...original, name: 'tampered' };
  const next = newVersion(original, '2024-06-01T00:00:00.000Z', { name: 'legit update' });
  const res = await ctx.post('alice', RW, [changed, next]);
  t.equal(res.statusCode, 202);
  const status = body(res);
  t.match(status, { total_count: 2, success_count: 1, failure_count: 1, pending_count: 0 }, 'TR17 counts');
  const failures = status['failures'] as Json[];
  t.equal(failures[0]?.['id'], original['id']);
  t.equal(failures[0]?.['version'], original['modified'], 'the failure names the conflicting version');
  t.match(failures[0]?.['message'], /modified/, 'message names the property to change');
  const versions = await ctx.request('alice', { url: `${url}versions/` });
  t.same(body(versions)['versions'], ['2024-01-01T00:00:00.000Z', '2024-06-01T00:00:00.000Z'], 'the new version in the same request was stored');
  const first = await ctx.request('alice', { url: `${url}?match[version]=first` });
  t.equal(first.body, stored, 'the stored version is unchanged, byte for byte');

  const reformatted = `{"objects":[${JSON.stringify(original, null, 2)}]}`;
  const same = await postRaw(reformatted, TAXII);
  t.match(body(same), { success_count: 1, failure_count: 0 }, 'same content, other formatting/key order: a duplicate, not a conflict (T71)');

  const twin = malware();
  const inOne = await ctx.post('alice', RW, [twin, { ...twin, name: 'twin with other content' }]);
  t.match(body(inOne), { total_count: 2, success_count: 1, failure_count: 1 }, 'TR24 also within one envelope');
  const twinBack = await ctx.request('alice', { url: `${RW}objects/${String(twin['id'])}/` });
  t.equal((body(twinBack)['objects'] as Json[])[0]?.['name'], 'test malware', 'the first representation is kept');

  const sco = ipv4('198.51.100.200');
  await ctx.post('alice', RW, [sco]);
  const scoChanged = await ctx.post('alice', RW, [{ ...sco, value: '198.51.100.201' }]);
  t.match(body(scoChanged), { success_count: 0, failure_count: 1 }, 'an unversioned object cannot change content under the same id');
});

t.test('trailing slash tolerance: every endpoint without the slash (TR3)', async (t) => {
  const id = String(seedA['id']);
  const gets: [string, string][] = [
    ['discovery', '/taxii2'],
    ['API root', '/main'],
    ['collections', '/main/collections'],
    ['collection', `/main/collections/${C_RW}`],
    ['collection by alias', '/main/collections/rw'],
    ['manifest', `${RW}manifest`],
    ['objects', `${RW}objects`],
    ['objects with query', `${RW}objects?match[type]=indicator&limit=2`],
    ['object', `${RW}objects/${id}`],
    ['object with query', `${RW}objects/${id}?match[version]=all`],
    ['versions', `${RW}objects/${id}/versions`],
  ];
  for (const [what, url] of gets) {
    const withSlash = url.includes('?') ? url.replace('?', '/?') : `${url}/`;
    const a = await ctx.request('alice', { url });
    const b = await ctx.request('alice', { url: withSlash });
    t.equal(a.statusCode, 200, `${what}: ${url} answers 200, no redirect`);
    t.equal(a.headers['content-type'], TAXII);
    // A `next` token carries its expiry in seconds: two requests a second apart differ there only.
    const withoutNext = (text: string) => text.replace(/"next":"[^"]*"/, '"next":"…"');
    t.equal(withoutNext(a.body), withoutNext(b.body), `${what}: same body as ${withSlash}`);
  }

  const object = indicator();
  const post = await ctx.request('alice', {
    method: 'POST',
    url: `${RW}objects`,
    headers: { 'content-type': TAXII },
    payload: JSON.stringify({ objects: [object] }),
  });
  t.equal(post.statusCode, 202, 'POST without trailing slash');
  const status = body(post);
  t.equal(status['success_count'], 1);
  const statusNoSlash = await ctx.request('alice', { url: `/main/status/${String(status['id'])}` });
  t.equal(statusNoSlash.statusCode, 200, 'status URL without trailing slash');
  t.same(body(statusNoSlash), status);
  const aliasPost = await ctx.post('alice', '/main/collections/rw/', [indicator()]);
  t.equal(aliasPost.statusCode, 202, 'POST by alias');

  const del = await ctx.request('alice', { method: 'DELETE', url: `${RW}objects/${String(object['id'])}` });
  t.equal(del.statusCode, 200, 'DELETE without trailing slash');
  t.equal((await ctx.request('alice', { url: `${RW}objects/${String(object['id'])}/` })).statusCode, 404, 'and it deleted');
  const bad = await ctx.request('alice', { url: `${RW}objects?limit=0` });
  isError(t, bad, 400, 'errors behave the same without the slash');
  const unauth = await raw(ctx, { accept: TAXII }, { url: `${RW}objects` });
  isError(t, unauth, 401, 'authentication still applies without the slash');
});
