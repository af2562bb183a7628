/**
 * The server's command line as `npm start` runs it. package.json's start script
 * owns it (the README starts the server that way); the benchmarks start the
 * server with the same settings, and the Docker image's test holds its CMD and
 * ENV to them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/paths.js';

export interface ServerCommand {
  /** Environment variables the script sets for node (e.g. MALLOC_ARENA_MAX). */
  readonly env: Readonly<Record<string, string>>;
  /** node's own flags, before the entry point. */
  readonly nodeFlags: readonly string[];
  /** The entry point, relative to the project. */
  readonly entry: string;
}

const START_SCRIPT = /^((?:[A-Z_]+=\S+ )*)exec node ((?:--\S+ )*)(dist\/src\/server\.js)$/;

export function parseStartScript(script: string): ServerCommand {
  const parts = START_SCRIPT.exec(script);
  if (parts === null) throw new Error(`package.json's start script is not "[NAME=value …] exec node [--flag …] dist/src/server.js": ${script}`);
  const words = (text: string | undefined) => (text ?? '').split(' ').filter((w) => w !== '');
  return {
    env: Object.fromEntries(words(parts[1]).map((assignment) => assignment.split('=', 2) as [string, string])),
    nodeFlags: words(parts[2]),
    entry: parts[3] ?? '',
  };
}

export function serverCommand(): ServerCommand {
  const { scripts } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return parseStartScript(scripts['start'] ?? '');
}
