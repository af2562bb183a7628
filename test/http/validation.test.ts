/** The POST path validates with the full STIX validator at the collection's strictness (issue 3). */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCommand } from '../../src/bin/validate-command.js';
import { RECIPIENTS_EXTENSION_ID } from '../../src/policy/recipients.js';
import { TLP_IDS } from '../../src/stix/tlp.js';
import { C_OTHER, C_RW, createTestApp } from '../helpers/app.js';
import { capturedOutput } from '../helpers/captured-output.js';
import { indicator, ipv4, malware } from '../helpers/stix.js';

const standard = await createTestApp();
t.teardown(() => standard.close());
const RW = `/main/collections/${C_RW}/`;

t.test('a submitter learns exactly why an object was refused; the rest is stored (TR22)', async (t) => {
  const broken = indicator({ valid_from: '2024-06-01T00:00:00Z', valid_until: '2024-01-01T00:00:00Z' });
  const badPattern = indicator({ pattern: "[ipv4-addr:value = '198.51.100.1'" });
  const fine = indicator();
  const res = await standard.post('alice', RW, [broken, badPattern, fine]);
  t.equal(res.statusCode, 202);
  const status = res.json();
  t.match(status, { total_count: 3, success_count: 1, failure_count: 2 });
  t.match(status.failures, [
    { id: broken['id'], message: /^indicator\.valid_until: must be later than valid_from/ },
    { id: badPattern['id'], message: /^indicator\.pattern: .*\(at position \d+; SR9\)$/ },
  ]);
  t.equal((await standard.request('alice', { url: `${RW}objects/${fine['id']}/` })).statusCode, 200);
  t.equal((await standard.request('alice', { url: `${RW}objects/${broken['id']}/` })).statusCode, 404, 'nothing of the refused object is stored');
});

t.test('strictness is per collection and a change applies on the next POST, without a restart (issue 11)', async (t) => {
  const custom = indicator({ x_acme_score: 7 });
  t.equal((await standard.post('alice', RW, [indicator({ x_acme_score: 1 })])).json().success_count, 1, 'standard accepts x_ properties');
  await standard.reconfigure({ rwValidation: 'strict' });
  const inStrict = await standard.post('alice', RW, [custom]);
  t.match(inStrict.json(), { failure_count: 1, failures: [{ message: /in strict mode custom properties need a toplevel-property-extension/ }] });
  t.equal((await standard.post('bob', `/other/collections/${C_OTHER}/`, [custom])).json().success_count, 1, 'a standard collection still accepts it');
  await standard.reconfigure({});
  t.equal((await standard.post('alice', RW, [custom])).json().success_count, 1, 'back to standard: accepted again');
});

t.test('S27: a non-deterministic SCO id is stored with a warning in standard mode', async (t) => {
  const res = await standard.post('bob', `/other/collections/${C_OTHER}/`, [ipv4('203.0.113.9')]);
  t.match(res.json(), { success_count: 1, successes: [{ message: /^stored with warnings: ipv4-addr\.id: not the deterministic id/ }] });
});

t.test('the offline validate command gives the server\'s verdict, object by object (issue 14)', async (t) => {
  const T = '2024-01-01T00:00:00.000Z';
  const markingId = `marking-definition--${randomUUID()}`;
  const objects: Record<string, unknown>[] = [
    indicator(),
    indicator({ x_acme_score: 3 }),
    indicator({ pattern: "[ipv4-addr:value = '1.2.3.4' AND file:name = 'a']" }),
    indicator({ pattern: "[file:name MATCHES '(unclosed']" }),
    malware({ x_acme: { deep: true } }),
    // TLP:RED's published id with another body, and a TLP level claimed by another id (tlp.md §5.3)
    { type: 'marking-definition', spec_version: '2.1', id: TLP_IDS.red, created: T, name: 'TLP:RED (ours)', extensions: { 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { extension_type: 'property-extension', tlp_2_0: 'red' } } },
    { type: 'marking-definition', spec_version: '2.1', id: `marking-definition--${randomUUID()}`, created: T, definition_type: 'tlp', definition: { tlp: 'green' } },
    // a marking that marks itself (§3)
    { type: 'marking-definition', spec_version: '2.1', id: markingId, created: T, definition_type: 'statement', definition: { statement: 'x' }, object_marking_refs: [markingId] },
    // a recipients marking naming nobody
    { type: 'marking-definition', spec_version: '2.1', id: `marking-definition--${randomUUID()}`, created: T, extensions: { [RECIPIENTS_EXTENSION_ID]: { extension_type: 'property-extension', partners: [] } } },
    { type: 'marking-definition', spec_version: '2.1', id: `marking-definition--${randomUUID()}`, created: T, definition_type: 'statement', definition: { statement: 'Copyright ACME' } },
  ];
  // T5: a name given twice reads differently in different parsers; only the text shows it.
  const ambiguous = indicator();
  const texts = [...objects.map((o) => JSON.stringify(o)), JSON.stringify(ambiguous).replace('"name":', '"name":"first","name":')];
  const envelope = `{"objects":[${texts.join(',')}]}`;
  const res = await standard.request('alice', { method: 'POST', url: `${RW}objects/`, headers: { 'content-type': 'application/taxii+json;version=2.1' }, payload: envelope });
  t.equal(res.statusCode, 202, res.body);
  const server = (res.json() as { failures?: { id: string; message: string }[] }).failures ?? [];
  t.equal(server.length, 7, 'the server refuses the seven broken objects');

  const dir = mkdtempSync(join(tmpdir(), 'taxii-agree-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'objects.json');
  writeFileSync(file, envelope);
  const { output, captured } = capturedOutput();
  t.equal(await validateCommand([file], output), 1);
  const offline = captured.out
    .trimEnd()
    .split('\n')
    .slice(0, -1)
    .map((line) => /^.*?: objects\[\d+\] (\S+) \(line \d+\): (.*)$/.exec(line)?.slice(1, 3));
  t.same(offline, server.map((f) => [f.id, f.message]), 'the same objects refused, with the same messages, in the same order');
  t.match(captured.out, /11 object\(s\): 4 valid, 7 invalid \(standard\)\n$/);
});
