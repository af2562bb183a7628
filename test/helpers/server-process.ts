/**
 * The production entry point (src/server.ts) as a child process, run with the
 * TypeScript loader tap runs the tests with (its workers inherit it), its JSON log
 * lines collected as they come. Used by the workers and shutdown tests and the fault suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SERVER = fileURLToPath(new URL('../../src/server.ts', import.meta.url));
export const LOADER = process.execArgv.filter((arg) => arg.includes('@tapjs/typescript'));

export interface ChildServer {
  readonly child: ChildProcess;
  /** Every JSON log line written so far. */
  readonly lines: Record<string, unknown>[];
  /** stderr, and any stdout line that is not JSON. */
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
}

export interface SpawnOptions {
  /** Added to the test's environment, from which PG*, TAXII_* and DATABASE_URL are removed. */
  readonly env: Record<string, string>;
  /** Node.js options, e.g. the heap size. */
  readonly nodeOptions?: readonly string[];
  /** SIGKILL after this long, whatever happens (a bound on every test). */
  readonly killAfterMs: number;
}

export function spawnServer(options: SpawnOptions): ChildServer {
  const inherited: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('PG') && !name.startsWith('TAXII_') && name !== 'DATABASE_URL') inherited[name] = value;
  }
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), ...LOADER, SERVER], {
    env: { ...inherited, LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const complete = stdout.split('\n');
    stdout = complete.pop() ?? '';
    for (const line of complete) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        stderr += `${line}\n`;
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  return { child, lines, stderr: () => stderr, exited, alive: () => running };
}
