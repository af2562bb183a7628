/**
 * `taxii-exchange import` in a process of its own with a bounded heap (issue 12:
 * a file larger than the memory budget), on the given PostgreSQL database or on
 * an embedded one of its own, after applying `configFile` to it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/bin/cli.ts', import.meta.url));
const LOADER = process.execArgv.filter((arg) => arg.includes('@tapjs/typescript'));

export function importWithin(
  heapMb: number,
  configFile: string,
  env: Record<string, string>,
  databaseUrl: string | undefined,
  importArgs: readonly string[],
): { status: number | null; stdout: string; stderr: string } {
  const dataDir = mkdtempSync(join(tmpdir(), 'taxii-import-child-'));
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG') && !k.startsWith('TAXII_') && k !== 'DATABASE_URL'));
  const childEnv = { ...inherited, ...env, TAXII_CONFIG: configFile, ...(databaseUrl === undefined ? { TAXII_DATA_DIR: join(dataDir, 'data') } : { DATABASE_URL: databaseUrl }) };
  const run = (args: readonly string[]) =>
    spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, ...LOADER, CLI, ...args], { env: childEnv, encoding: 'utf8', timeout: 120_000 });
  try {
    const applied = run(['apply-config']);
    if (applied.status !== 0) return { status: applied.status, stdout: applied.stdout, stderr: applied.stderr };
    const imported = run(['import', ...importArgs]);
    return { status: imported.status, stdout: imported.stdout, stderr: imported.stderr };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
