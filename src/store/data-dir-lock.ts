/**
 * One process at a time in an embedded (PGlite) data directory. PGlite keeps the
 * database in the memory of the process that opened it: a second process opening
 * the same directory would see none of the first one's changes, the first none of
 * its own, and the files could be corrupted. So whoever opens a directory holds
 * `taxii-exchange.lock` in it (its pid and the configuration it serves) until it
 * closes it; a running server takes configuration changes through SIGHUP and says
 * how that went in `taxii-exchange.applied.json` (see bin/apply-config.ts).
 */
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

const LOCK_FILE = 'taxii-exchange.lock';
const APPLIED_FILE = 'taxii-exchange.applied.json';

/** The process holding a data directory. */
export interface DataDirHolder {
  readonly pid: number;
  /** The configuration file that process applies on SIGHUP (absolute), if it is a server. */
  readonly configPath: string | undefined;
}

export class DataDirHeld extends Error {
  constructor(readonly dataDir: string, readonly holder: DataDirHolder) {
    super(
      `the data directory ${dataDir} is in use by process ${holder.pid}: one process at a time may open an embedded database` +
        (holder.configPath === undefined ? '' : ' (a running server: change its configuration with apply-config or SIGHUP)'),
    );
    this.name = 'DataDirHeld';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(dataDir: string): DataDirHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { pid?: unknown; configPath?: unknown };
    if (typeof parsed.pid !== 'number') return undefined;
    return { pid: parsed.pid, configPath: typeof parsed.configPath === 'string' ? parsed.configPath : undefined };
  } catch {
    return undefined;
  }
}

/** The live process holding the directory, if any (a lock left by a dead process is no holder). */
export function dataDirHolder(dataDir: string): DataDirHolder | undefined {
  const holder = readHolder(dataDir);
  return holder !== undefined && holder.pid !== process.pid && alive(holder.pid) ? holder : undefined;
}

/**
 * Takes the directory for this process; throws DataDirHeld when a live process has it.
 * Returns the release function.
 */
export function holdDataDir(dataDir: string, configPath?: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  const record = JSON.stringify({ pid: process.pid, ...(configPath !== undefined && { configPath: resolve(configPath) }) });
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, record);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = dataDirHolder(dataDir);
      if (holder !== undefined) throw new DataDirHeld(dataDir, holder);
      // Left by a process that is gone (killed, or crashed).
      unlinkSync(path);
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (readHolder(dataDir)?.pid === process.pid) unlinkSync(path);
  };
}

/** The outcome of the last configuration a server re-applied. */
export interface AppliedRecord {
  /** When it finished, in milliseconds since the epoch. */
  readonly at: number;
  readonly ok: boolean;
  readonly message: string;
}

export function recordApplied(dataDir: string, record: AppliedRecord): void {
  const path = join(dataDir, APPLIED_FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(record));
  renameSync(`${path}.tmp`, path);
}

export function lastApplied(dataDir: string): AppliedRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, APPLIED_FILE), 'utf8')) as Partial<AppliedRecord>;
    if (typeof parsed.at !== 'number' || typeof parsed.ok !== 'boolean' || typeof parsed.message !== 'string') return undefined;
    return { at: parsed.at, ok: parsed.ok, message: parsed.message };
  } catch {
    return undefined;
  }
}
