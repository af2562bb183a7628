/** `taxii-exchange validate FILE...`: offline validation with the server's own validator (issue 3). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const CLI = resolve(fileURLToPath(import.meta.url), '../../../src/bin/cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'taxii-validate-'));
const T = '2024-01-01T00:00:00.000Z';

function run(...args: string[]) {
  // The same loader flags tap runs this file with, so the TypeScript entry point runs as is.
  const result = spawnSync(process.execPath, [...process.execArgv, CLI, 'validate', ...args], { encoding: 'utf8' });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

const good = { type: 'malware', spec_version: '2.1', id: 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b', created: T, modified: T, name: 'x', is_family: true };
const bad = {
  type: 'indicator', spec_version: '2.1', id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', created: T, modified: T,
  pattern: "[ipv4-addr:value = '198.51.100.1']", pattern_type: 'stix', valid_from: '2024-06-01T00:00:00Z', valid_until: '2024-01-01T00:00:00Z',
};
const bundle = join(dir, 'bundle.json');
writeFileSync(bundle, JSON.stringify({ type: 'bundle', id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d', objects: [good, bad] }));
const list = join(dir, 'list.json');
writeFileSync(list, JSON.stringify([good]));
const single = join(dir, 'single.json');
writeFileSync(single, JSON.stringify({ ...good, x_custom: 1 }));
const notJson = join(dir, 'broken.json');
writeFileSync(notJson, '{"objects": [');

t.test('one line per failure, a summary, exit 1 when anything fails', async (t) => {
  const r = run(bundle);
  t.equal(r.status, 1);
  t.match(r.out, `${bundle}: objects[1] indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f (line 1): indicator.valid_until: must be later than valid_from`);
  t.match(r.out, /1 file\(s\), 2 object\(s\): 1 valid, 1 invalid \(standard\)/);
});

t.test('piped, every line arrives: the summary is the last (issue 13)', async (t) => {
  const many = join(dir, 'many.json');
  writeFileSync(many, JSON.stringify(Array.from({ length: 4000 }, () => bad)));
  const r = run(many);
  const lines = r.out.trimEnd().split('\n');
  t.equal(lines.length, 4001, 'one line per invalid object, then the summary');
  t.match(lines.at(-1), /4000 object\(s\): 0 valid, 4000 invalid/);
});

t.test('lists of objects and single objects are read too; all valid exits 0', async (t) => {
  const r = run(list, single);
  t.equal(r.status, 0, r.out + r.err);
  t.match(r.out, /2 file\(s\), 2 object\(s\): 2 valid, 0 invalid/);
});

t.test('JSON lines are read as import reads them, and a broken tail makes the file unreadable, with what came before counted', async (t) => {
  const lines = join(dir, 'objects.jsonl');
  writeFileSync(lines, `${JSON.stringify(good)}\n${JSON.stringify(bad)}\n{"type": "indicator", "id"`);
  const r = run(lines);
  t.equal(r.status, 1);
  t.match(r.out, `${lines}: objects[1] indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f (line 2): indicator.valid_until`);
  t.match(r.err, new RegExp(`objects\\.jsonl: cannot read as JSON: .*\\(after 2 object\\(s\\), which are counted\\)`));
  t.match(r.out, /^1 file\(s\), 2 object\(s\): 1 valid, 1 invalid, 1 file\(s\) unreadable \(standard\)$/m);
});

t.test('--strictness strict refuses legacy x_ properties', async (t) => {
  const r = run('--strictness', 'strict', single);
  t.equal(r.status, 1);
  t.match(r.out, /malware\.x_custom: unknown property; in strict mode/);
});

t.test('unreadable input and bad usage', async (t) => {
  const r = run(notJson);
  t.equal(r.status, 1);
  t.match(r.err, /cannot read as JSON/);
  // Issue 13: files it cannot read were counted as invalid objects ("0 object(s): -2 valid, 2 invalid").
  const two = run(notJson, join(dir, 'missing.json'));
  t.equal(two.status, 1);
  t.match(two.err, /missing\.json: cannot read as JSON: ENOENT/);
  t.match(two.out, /^2 file\(s\), 0 object\(s\): 0 valid, 0 invalid, 2 file\(s\) unreadable \(standard\)$/m);
  t.equal(run().status, 2, 'no file named');
  t.equal(run('--strictness', 'lenient', list).status, 2, 'unknown level');
});
