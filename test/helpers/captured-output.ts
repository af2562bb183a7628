/** A command line Output that keeps what a command writes, for assertions. */
import type { ImportProgress } from '../../src/admin/transfers.js';
import { CommandFailed, parseAdminCommand, runAdminCommand } from '../../src/bin/admin-cli.js';
import type { Output } from '../../src/bin/admin-command.js';
import type { Db } from '../../src/store/db.js';

export interface Captured {
  out: string;
  err: string;
  data: string;
  progress: ImportProgress[];
}

export function capturedOutput(): { output: Output; captured: Captured } {
  const captured: Captured = { out: '', err: '', data: '', progress: [] };
  const output: Output = {
    log: (line) => void (captured.out += `${line}\n`),
    error: (line) => void (captured.err += `${line}\n`),
    write: async (chunk) => void (captured.data += chunk),
    progress: (p) => void captured.progress.push(p),
  };
  return { output, captured };
}

/**
 * An administration command as the command line runs it, in this process on `db`
 * (operator cli:test): its exit code and what it wrote.
 */
export async function runAdmin(db: Db, ...argv: string[]): Promise<Captured & { status: number }> {
  const { output, captured } = capturedOutput();
  const [group, ...args] = argv;
  let status = 0;
  try {
    const parsed = parseAdminCommand(group as string, args, output);
    if (parsed !== undefined) await runAdminCommand(db, parsed, output, { operator: 'cli:test', jwt: async () => undefined });
  } catch (err) {
    if (!(err instanceof CommandFailed)) throw err;
    status = err.exitCode;
    output.error(`taxii-exchange: ${err.message}`);
  }
  return { status, ...captured };
}
