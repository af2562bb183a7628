/**
 * `taxii-exchange import` and `export` (issue 12), against the real application
 * on the same database: an import of every bundle in ../shared/data comes to what
 * a POST of the same objects answers, a re-import stores nothing, an export holds
 * exactly what the partner's GET serves, and every refusal is one clear line.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollectionAdmin } from '../../src/admin/collections.js';
import { createPartnerAdmin } from '../../src/admin/partners.js';
import { TEST_ENV, TAXII, basicAuth, createAppWithConfig, testConfigJson } from '../helpers/app.js';
import { runAdmin } from '../helpers/captured-output.js';
import { importWithin } from '../helpers/import-child.js';
import { indicator } from '../helpers/stix.js';

const config = testConfigJson({ maxContentLength: 32 * 1024 * 1024 });
const app = await createAppWithConfig(config, TEST_ENV);
t.teardown(() => app.close());
const dir = mkdtempSync(join(tmpdir(), 'taxii-import-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const collections = createCollectionAdmin(app.testDb.db);
for (const alias of ['imported', 'posted', 'small']) {
  await collections.add('main', { title: alias, alias });
  await collections.grant('alice', `main/${alias}`, { read: true, write: true });
}

/** Runs a command as the command line would, in this process, on the app's database. */
const cli = (...argv: string[]) => runAdmin(app.testDb.db, ...argv);

interface Summary {
  objects: number;
  stored: number;
  already_present: number;
  refused: number;
  reasons: { reason: string; count: number }[];
  refusals: { file: string; line: number; id: string; version: string; message: string }[];
}

const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'bundles');
const bundleFiles = (function walk(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)])).sort();
})(DATA);

t.test('every bundle in ../shared/data: the import summary is what a POST of the same objects answers', async (t) => {
  t.ok(bundleFiles.length > 100, `${bundleFiles.length} bundles`);
  const totals = { objects: 0, stored: 0, present: 0, refused: 0 };
  for (const file of bundleFiles) {
    const run = await cli('import', file, '--collection', 'main/imported', '--as', 'alice', '--json');
    const summary = JSON.parse(run.out) as Summary;
    const objects = (JSON.parse(readFileSync(file, 'utf8')) as { objects: unknown[] }).objects;
    const status = (await app.post('alice', '/main/collections/posted/', objects)).json() as {
      successes?: { id: string; message?: string }[];
      failures?: { id: string; message: string }[];
    };
    const successes = status.successes ?? [];
    const posted = {
      objects: objects.length,
      stored: successes.filter((s) => s.message === undefined || s.message.startsWith('stored with warnings')).length,
      already_present: successes.filter((s) => s.message?.startsWith('already present')).length,
      refused: status.failures?.length ?? 0,
    };
    const imported = { objects: summary.objects, stored: summary.stored, already_present: summary.already_present, refused: summary.refused };
    if (JSON.stringify(imported) !== JSON.stringify(posted)) t.same(imported, posted, file);
    const refusedIds = (list: { id: string; message: string }[]) => list.map((f) => `${f.id}: ${f.message}`).sort();
    if (summary.refused > 0) t.same(refusedIds(summary.refusals), refusedIds(status.failures ?? []), `${file}: the same refusals, for the same reasons`);
    t.equal(run.status, summary.refused > 0 ? 1 : 0, 'exit 1 exactly when something was refused');
    totals.objects += summary.objects;
    totals.stored += summary.stored;
    totals.present += summary.already_present;
    totals.refused += summary.refused;
  }
  t.ok(totals.stored > 5000, `stored ${totals.stored} of ${totals.objects} (${totals.present} present, ${totals.refused} refused)`);

  const reimport = await cli('import', ...bundleFiles, '--collection', 'main/imported', '--as', 'alice', '--json');
  const summary = JSON.parse(reimport.out) as Summary;
  t.equal(summary.objects, totals.objects);
  t.equal(summary.stored, 0, 'a re-import of everything stores nothing');
  t.equal(summary.refused, totals.refused, 'and refuses what it refused before');
});

t.test('the summary, progress, and exit 1 with the reasons when objects are refused', async (t) => {
  const good = indicator();
  const lines = [good, indicator({ pattern: 'not a pattern' }), { type: 'indicator', id: 'nonsense' }].map((o) => JSON.stringify(o));
  const file = join(dir, 'mixed.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n{"broken": \n`.replace('{"broken": \n', '{"broken": ]\n'));
  const malformed = await cli('import', file, '--collection', 'main/small', '--as', 'alice');
  t.equal(malformed.status, 1);
  t.match(malformed.err, /mixed\.jsonl: line 4: "\]" does not close the object before it; nothing was imported/);

  writeFileSync(file, `${lines.join('\n')}\n[{"not json": tru}]\n`);
  const run = await cli('import', file, '--collection', 'main/small', '--as', 'alice');
  t.equal(run.status, 1);
  t.match(run.err, 'importing 4 object(s) from 1 file(s) into main/small as alice');
  t.match(run.out, /imported 4 object\(s\) in [\d.]+ s: 1 stored, 0 already present, 3 refused/);
  t.match(run.out, /refused, by reason:\n {2}1 × /);
  t.match(run.out, new RegExp(`mixed\\.jsonl:2 indicator--[0-9a-f-]+ 2024-01-01T00:00:00.000Z: .*pattern`));
  t.match(run.out, /mixed\.jsonl:4 line 4 unknown: not valid JSON/);
  t.match(run.err, 'taxii-exchange: 3 object(s) refused');
  t.match(run.progress.at(-1), { done: 4, total: 4, stored: 1, refused: 3 }, 'progress ends at the total');

  const get = await app.request('alice', { url: `/main/collections/small/objects/${good['id'] as string}/` });
  t.equal(get.json().objects?.[0]?.id, good['id'], 'what was stored is served');
});

t.test('refusals before anything is read: one line each', async (t) => {
  const file = join(dir, 'one.json');
  writeFileSync(file, JSON.stringify({ type: 'bundle', id: 'bundle--1', objects: [indicator()] }));
  const partners = createPartnerAdmin(app.testDb.db);
  const refusals: [string[], number, RegExp][] = [
    [['import', file, '--as', 'alice'], 2, /give --collection ROOT\/COLLECTION/],
    [['import', file, '--collection', 'main/small'], 2, /give --as PARTNER/],
    [['import', '--collection', 'main/small', '--as', 'alice'], 2, /import: expected FILE/],
    [['import', file, '--collection', 'small', '--as', 'alice'], 1, /write it as API-ROOT\/COLLECTION/],
    [['import', file, '--collection', 'main/nowhere', '--as', 'alice'], 1, /no collection main\/nowhere available to partner "alice"/],
    [['import', file, '--collection', 'main/small', '--as', 'nobody'], 1, /no partner "nobody"/],
    [['import', file, '--collection', 'main/small', '--as', 'carol'], 1, /partner "carol" is suspended; resume it first/],
    [['import', file, '--collection', 'main/ro', '--as', 'alice'], 1, /partner "alice" may not add objects to main\/ro \(grant it --write\)/],
    [['import', join(dir, 'missing.json'), '--collection', 'main/small', '--as', 'alice'], 1, /missing\.json: cannot read it \(ENOENT\)/],
    [['import', dir, '--collection', 'main/small', '--as', 'alice'], 1, /: not a file/],
    [['export', '--collection', 'main/wo', '--as', 'alice'], 1, /partner "alice" may not read main\/wo \(grant it --read\)/],
    [['export', '--collection', 'main/small', '--as', 'alice', '--since', 'yesterday'], 1, /since "yesterday": an RFC 3339 UTC timestamp/],
    [['export', '--collection', 'main/small', '--as', 'alice', '--type', 'Bad Type'], 1, /type "Bad Type": not a STIX type name/],
    [['export', '--collection', 'main/small', '--as', 'alice', '--output', file], 1, /one\.json: cannot create it \(EEXIST\); an export never overwrites a file/],
  ];
  for (const [argv, status, message] of refusals) {
    const run = await cli(...argv);
    t.equal(run.status, status, argv.join(' '));
    t.match(run.err, message, argv.join(' '));
    t.equal(run.err.trim().split('\n').length, 1, 'one line');
  }
  t.ok(partners, 'the partner service is the one the commands use');
  t.match(await cli('import', '--help'), { status: 0, out: /usage: taxii-exchange import FILE\.\.\. --collection/ });
  t.match(await cli('export', '--help'), { status: 0, out: /usage: taxii-exchange export --collection/ });
});

/** Every object a partner's GET serves, following `next`. */
async function getAll(authorization: string, url: string, query = ''): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = [];
  let next: string | undefined;
  do {
    const res = await app.app.inject({ url: `${url}?limit=1000${query === '' ? '' : `&${query}`}${next === undefined ? '' : `&next=${next}`}`, headers: { accept: TAXII, authorization } });
    const body = res.json() as { objects?: Record<string, unknown>[]; next?: string };
    all.push(...(body.objects ?? []));
    next = body.next;
  } while (next !== undefined);
  return all;
}

t.test('export: exactly what the partner GETs, as a bundle, streamed', async (t) => {
  const run = await cli('export', '--collection', 'main/imported', '--as', 'alice');
  t.equal(run.status, 0, run.err);
  const bundle = JSON.parse(run.data) as { type: string; id: string; objects: Record<string, unknown>[] };
  t.equal(bundle.type, 'bundle');
  t.match(bundle.id, /^bundle--[0-9a-f-]{36}$/);
  const served = await getAll(basicAuth('alice'), '/main/collections/imported/objects/');
  t.ok(served.length > 3000, `${served.length} objects served`);
  t.same(bundle.objects, served, 'the same objects, in the same order, with the same text');
  t.match(run.err, `exported ${served.length} object(s) from main/imported as alice`);

  // A partner with a lower clearance gets less, exactly as its GET.
  const partners = createPartnerAdmin(app.testDb.db);
  const { key } = await partners.add('gina', { name: 'Gina', clearance: 'green' });
  await collections.grant('gina', 'main/imported', { read: true, write: false });
  const gina = JSON.parse((await cli('export', '--collection', 'main/imported', '--as', 'gina')).data) as typeof bundle;
  const ginaServed = await getAll(basicAuth('gina', key.secret), '/main/collections/imported/objects/');
  t.ok(ginaServed.length < served.length, `gina (green) sees ${ginaServed.length}`);
  t.same(gina.objects, ginaServed);

  const types = JSON.parse((await cli('export', '--collection', 'main/imported', '--as', 'alice', '--type', 'malware', '--type', 'tool')).data) as typeof bundle;
  t.same(types.objects, served.filter((o) => o['type'] === 'malware' || o['type'] === 'tool'), '--type');
  const future = await cli('export', '--collection', 'main/imported', '--as', 'alice', '--since', '2999-01-01T00:00:00Z');
  t.same(JSON.parse(future.data), { type: 'bundle', id: (JSON.parse(future.data) as { id: string }).id, objects: [] }, '--since: an empty bundle is still a bundle');

  const target = join(dir, 'export.json');
  const toFile = await cli('export', '--collection', 'main/imported', '--as', 'alice', '--all-versions', '--output', target);
  t.equal(toFile.status, 0, toFile.err);
  const all = (JSON.parse(readFileSync(target, 'utf8')) as typeof bundle).objects;
  t.same(all, await getAll(basicAuth('alice'), '/main/collections/imported/objects/', 'match[version]=all'), '--all-versions');
  t.ok(all.length >= served.length);
  t.ok(statSync(target).size > 1_000_000);
});

t.test('a file larger than the memory budget is imported, not held whole', async (t) => {
  // Objects of 100 KB; the file is larger than the whole heap the importing process may use
  // (96 MB, of which the TypeScript loader the tests run with takes about 50).
  const file = join(dir, 'large.json');
  const description = 'x'.repeat(100_000);
  const objects = Array.from({ length: 1100 }, () => JSON.stringify(indicator({ description })));
  writeFileSync(file, `{"type":"bundle","id":"bundle--1","objects":[\n${objects.join(',\n')}\n]}`);
  const HEAP_MB = 96;
  t.ok(statSync(file).size > HEAP_MB * 1024 * 1024, `${(statSync(file).size / 1e6).toFixed(0)} MB, heap ${HEAP_MB} MB`);
  const script = `
    const { readFileSync } = await import('node:fs');
    JSON.parse(readFileSync(${JSON.stringify(file)}, 'utf8'));`;
  const whole = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--input-type=module', '-e', script], { encoding: 'utf8' });
  t.not(whole.status, 0, 'reading the file whole does not fit in the budget');

  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const result = importWithin(HEAP_MB, configFile, TEST_ENV as Record<string, string>, app.testDb.url, [file, '--collection', 'main/rw', '--as', 'alice']);
  t.equal(result.status, 0, result.stderr);
  t.match(result.stdout, /imported 1100 object\(s\) in [\d.]+ s: 1100 stored/);
});
