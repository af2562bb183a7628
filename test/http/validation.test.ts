/** The POST path validates with the full STIX validator at the collection's strictness (issue 3). */
import t from 'tap';
import { C_OTHER, C_RW, createTestApp } from '../helpers/app.js';
import { indicator, ipv4 } from '../helpers/stix.js';

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
