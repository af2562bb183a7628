/**
 * The validators of src/stix/validators.ts against the real, third-party STIX 2.1 data
 * in shared/data (PROVENANCE.md): every object of every file under bundles/, objects/
 * and markings/ (INDEX.json is an index, not STIX).
 *
 * - standard (the collection default): exactly the objects of
 *   test/helpers/expected-rejections.ts are rejected, each with its expected message;
 * - strict: rejects everything standard rejects, and otherwise only custom content
 *   outside the extension mechanism (x- types, x_ properties), SCOs whose id is not
 *   the deterministic UUIDv5 (S27), and extension keys that are neither *-ext names nor
 *   extension-definition ids on extension-defined types (§3.2 SHOULD, enforced in strict
 *   mode only);
 * - permissive: rejects a subset of what standard rejects.
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createValidators } from '../../src/stix/validators.js';
import type { Verdict } from '../../src/stix/object-validator.js';
import { EXPECTED_REJECTIONS, SHARED_DATA, expectedRejection } from '../helpers/expected-rejections.js';
import { listJsonFiles } from '../helpers/expected-rejections.js';

// PROVENANCE.md: 140 files, 5,639 objects.
const TOTAL_FILES = 140;
const TOTAL_OBJECTS = 5639;
const STANDARD_REJECTED = 104;

type Obj = Record<string, unknown>;


interface Checked {
  readonly file: string;
  readonly index: number;
  readonly id: string;
  readonly standard: Verdict;
  readonly strict: Verdict;
  readonly permissive: Verdict;
}

const where = (c: Checked): string => `${c.file} ${c.id}`;
const messageOf = (v: Verdict): string => (v.ok ? '' : v.message);

/** The strict-only rejections the strict level is meant to add, by rule. */
const STRICT_ONLY_KINDS: readonly { readonly name: string; readonly test: RegExp }[] = [
  { name: 'legacy x_ property without a toplevel-property-extension (§17)', test: /^[a-z0-9-]+\.x_[a-z0-9_]+: unknown property; in strict mode custom properties need a toplevel-property-extension$/ },
  { name: 'legacy x- object type without an extension-definition (§17)', test: /^type: "x-[a-z0-9-]+" is not a STIX 2\.1 type; custom objects need an extension-definition .* in strict mode$/ },
  { name: 'SCO id is not the deterministic UUIDv5 of its contributing properties (S27)', test: /^[a-z0-9-]+\.id: not the deterministic id of its contributing properties \(expected [a-z0-9-]+--[0-9a-f-]{36}; S27\)$/ },
  // Not a "strict mode" message: stix-validator.ts holds extension-defined types to the §3.2 extension-key rule only in strict mode.
  { name: 'extension key of an extension-defined type is neither *-ext nor an extension-definition id (§3.2)', test: /^[a-z0-9-]+\.extensions: key "[^"]+" must be an extension-definition id or a predefined extension name ending in -ext$/ },
];

t.test('shared/data is present', async (t) => {
  t.ok(existsSync(SHARED_DATA), `the STIX data is expected at ${SHARED_DATA} (shared/data beside the repository; CI always has it)`);
});

const dirs = ['bundles', 'objects', 'markings'].map((sub) => path.join(SHARED_DATA, sub));
const files = existsSync(SHARED_DATA) ? dirs.filter((d) => existsSync(d)).flatMap((d) => listJsonFiles(d)) : [];
if (files.length === 0) t.fail(`no STIX data files found under ${dirs.join(', ')}; this test cannot run without shared/data`);

const validators = createValidators();
const checked: Checked[] = [];
const unreadable: string[] = [];
for (const full of files) {
  const file = path.relative(SHARED_DATA, full).split(path.sep).join('/');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(full, 'utf8')) as unknown;
  } catch (err) {
    unreadable.push(`${file}: ${(err as Error).message}`);
    continue;
  }
  const objects: unknown[] = Array.isArray(parsed)
    ? parsed
    : Array.isArray((parsed as { objects?: unknown } | null)?.objects)
      ? (parsed as { objects: unknown[] }).objects
      : [parsed];
  objects.forEach((object, index) => {
    const rawId = (object as Obj | null)?.['id'];
    checked.push({
      file,
      index,
      id: typeof rawId === 'string' ? rawId : `objects[${index}]`,
      standard: validators.standard.validate(object, index),
      strict: validators.strict.validate(object, index),
      permissive: validators.permissive.validate(object, index),
    });
  });
}

t.test('standard: only the expected objects are rejected, each with its expected message', async (t) => {
  t.same(unreadable, [], 'every data file parses as JSON');

  const unexpected = checked
    .filter((c) => !c.standard.ok && expectedRejection(c.file, c.id) === undefined)
    .map((c) => `${where(c)}: ${messageOf(c.standard)}`);
  t.ok(
    unexpected.length === 0,
    unexpected.length === 0
      ? 'every object not in the expected list passes the standard validator'
      : `${unexpected.length} object(s) not in the expected list are rejected:\n${unexpected.join('\n')}`,
  );

  const keys = EXPECTED_REJECTIONS.map((e) => `${e.file} ${e.id}`);
  t.same(keys.filter((k, i) => keys.indexOf(k) !== i), [], 'the expected list names each (file, id) once');

  const problems: string[] = [];
  for (const e of EXPECTED_REJECTIONS) {
    const occurrences = checked.filter((c) => c.file === e.file && c.id === e.id);
    if (occurrences.length === 0) problems.push(`${e.file} ${e.id}: no such object in the data`);
    for (const c of occurrences) {
      if (c.standard.ok) problems.push(`${where(c)}: accepted, but expected a rejection matching ${String(e.message)}`);
      else if (!e.message.test(c.standard.message)) {
        problems.push(`${where(c)}: rejected with "${c.standard.message}", which does not match ${String(e.message)}`);
      }
    }
    if (e.why.trim() === '') problems.push(`${e.file} ${e.id}: no why`);
  }
  t.ok(
    problems.length === 0,
    problems.length === 0
      ? `each of the ${EXPECTED_REJECTIONS.length} expected entries is rejected with a matching message`
      : `expected rejections not met:\n${problems.join('\n')}`,
  );
});

t.test('summary of the standard validator over shared/data', async (t) => {
  const rejected = checked.filter((c) => !c.standard.ok);
  const warned = checked.filter((c) => c.standard.ok && c.standard.warnings.length > 0);
  t.same(
    { files: files.length, objects: checked.length, rejected: rejected.length, expectedEntries: EXPECTED_REJECTIONS.length },
    { files: TOTAL_FILES, objects: TOTAL_OBJECTS, rejected: STANDARD_REJECTED, expectedEntries: STANDARD_REJECTED },
    `${TOTAL_FILES} files, ${TOTAL_OBJECTS} objects, ${STANDARD_REJECTED} rejected (PROVENANCE.md, expected-rejections.ts)`,
  );
  t.comment(`standard: ${checked.length} objects, ${rejected.length} rejected, ${warned.length} accepted with warnings`);
  const byRule = new Map<string, number>();
  for (const c of rejected) {
    const rule = messageOf(c.standard).replace(/"[^"]*"/g, '"…"');
    byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
  }
  for (const [rule, n] of [...byRule].sort((a, b) => b[1] - a[1])) t.comment(`  ${n}× ${rule}`);
});

t.test('strict rejects everything standard rejects, and beyond that only custom content and non-deterministic SCO ids', async (t) => {
  const lost = checked.filter((c) => !c.standard.ok && c.strict.ok).map((c) => `${where(c)}: standard says "${messageOf(c.standard)}"`);
  t.ok(
    lost.length === 0,
    lost.length === 0 ? 'every object rejected in standard mode is rejected in strict mode' : `accepted by strict, rejected by standard:\n${lost.join('\n')}`,
  );

  const strictOnly = checked.filter((c) => c.standard.ok && !c.strict.ok);
  const counts = new Map<string, number>(STRICT_ONLY_KINDS.map((k) => [k.name, 0]));
  const other: string[] = [];
  for (const c of strictOnly) {
    const message = messageOf(c.strict);
    const kind = STRICT_ONLY_KINDS.find((k) => k.test.test(message));
    if (kind === undefined) other.push(`${where(c)}: ${message}`);
    else counts.set(kind.name, (counts.get(kind.name) ?? 0) + 1);
  }
  t.ok(
    other.length === 0,
    other.length === 0
      ? 'every strict-only rejection is custom content outside the extension mechanism, a non-deterministic SCO id, or an extension key'
      : `strict-only rejections of another kind:\n${other.join('\n')}`,
  );
  t.comment(`strict: ${checked.filter((c) => !c.strict.ok).length} rejected; ${strictOnly.length} of them only in strict mode:`);
  for (const [name, n] of counts) t.comment(`  ${n}× ${name}`);
  // The one kind whose message does not say so: list its objects.
  for (const c of strictOnly.filter((c) => !/strict mode|deterministic id/.test(messageOf(c.strict)))) {
    t.comment(`    not worded as strict-only: ${where(c)}: ${messageOf(c.strict)}`);
  }
});

t.test('permissive rejects a subset of what standard rejects', async (t) => {
  const extra = checked
    .filter((c) => !c.permissive.ok && c.standard.ok)
    .map((c) => `${where(c)}: ${messageOf(c.permissive)}`);
  t.ok(
    extra.length === 0,
    extra.length === 0 ? 'every object rejected in permissive mode is rejected in standard mode' : `rejected by permissive only:\n${extra.join('\n')}`,
  );
  const rejected = checked.filter((c) => !c.permissive.ok);
  t.comment(`permissive: ${rejected.length} rejected (standard: ${checked.filter((c) => !c.standard.ok).length})`);
});
