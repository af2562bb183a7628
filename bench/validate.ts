/**
 * Validation throughput on one core: objects validated per second for a
 * realistic mix (indicators, relationships, SCOs, ATT&CK objects), with the
 * validator the POST path uses. A measurement, not a test: it prints figures.
 *
 *   npm run bench:validate [-- --seconds 10 --strictness standard]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { STRICTNESS_LEVELS, type Strictness } from '../src/stix/object-validator.js';
import { createValidators } from '../src/stix/validators.js';
import { PROJECT_ROOT } from '../src/paths.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsonFiles(join(dir, e.name)) : e.name.endsWith('.json') && e.name !== 'INDEX.json' ? [join(dir, e.name)] : [],
  );
}

function realObjects(): Record<string, unknown>[] {
  const dataDir = resolve(PROJECT_ROOT, '../shared/data');
  const objects: Record<string, unknown>[] = [];
  for (const file of jsonFiles(dataDir)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const list = Array.isArray(parsed) ? parsed : ((parsed as { objects?: unknown[] }).objects ?? [parsed]);
    for (const o of list) if (o !== null && typeof o === 'object') objects.push(o as Record<string, unknown>);
  }
  return objects;
}

function syntheticIndicator(i: number): Record<string, unknown> {
  const t = '2024-05-01T10:00:00.000Z';
  return {
    type: 'indicator', spec_version: '2.1', id: `indicator--${randomUUID()}`, created: t, modified: t,
    name: `C2 address ${i}`, indicator_types: ['malicious-activity'],
    pattern: `[ipv4-addr:value = '198.51.${i % 256}.${(i * 7) % 256}'] AND [network-traffic:dst_port = ${1024 + (i % 1000)}]`,
    pattern_type: 'stix', valid_from: t, labels: ['c2'], confidence: 80,
    object_marking_refs: ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da'],
  };
}

const seconds = Number(arg('seconds', '5'));
const strictness = arg('strictness', 'standard') as Strictness;
if (!STRICTNESS_LEVELS.includes(strictness)) throw new Error(`--strictness takes ${STRICTNESS_LEVELS.join(', ')}`);

const real = realObjects();
// The mix: the real corpus (ATT&CK-heavy: relationships, attack-patterns, malware…) plus as many synthetic indicators.
const mix = [...real, ...Array.from({ length: real.length }, (_, i) => syntheticIndicator(i))];
const byType = new Map<string, number>();
for (const o of mix) byType.set(String(o['type']), (byType.get(String(o['type'])) ?? 0) + 1);

const startCompile = performance.now();
const validator = createValidators()[strictness];
const compileMs = performance.now() - startCompile;

let validated = 0;
let rejected = 0;
const deadline = performance.now() + seconds * 1000;
const started = performance.now();
while (performance.now() < deadline) {
  for (const o of mix) if (!validator.validate(o, 0).ok) rejected++;
  validated += mix.length;
}
const elapsed = (performance.now() - started) / 1000;

const top = [...byType.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([t, n]) => `${t} ${n}`).join(', ');
console.log(`validation benchmark (${strictness}, one core, Node ${process.version})`);
console.log(`  schema compile         ${compileMs.toFixed(0)} ms`);
console.log(`  mix                    ${mix.length} objects (${top}, …)`);
console.log(`  validated              ${validated} objects in ${elapsed.toFixed(2)} s (${(rejected / (validated / mix.length)).toFixed(0)} rejected per pass)`);
console.log(`  throughput             ${Math.round(validated / elapsed).toLocaleString('en')} objects/s`);
