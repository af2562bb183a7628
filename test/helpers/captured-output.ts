/** A command line Output that keeps what a command writes, for assertions. */
import type { ImportProgress } from '../../src/admin/transfers.js';
import type { Output } from '../../src/bin/admin-command.js';

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
