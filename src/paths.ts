/** Locations of files shipped with the project, independent of the working directory. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('taxii-exchange: cannot find the project root');
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = findProjectRoot();

export function schemaPath(name: string): string {
  return resolve(PROJECT_ROOT, 'schemas', name);
}

export const MIGRATIONS_DIR = resolve(PROJECT_ROOT, 'migrations');
export const DEMO_CONFIG = resolve(PROJECT_ROOT, 'config', 'demo.json');
