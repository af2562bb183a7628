/**
 * `taxii-exchange apply-config`: validates the configuration file and applies it.
 * On PostgreSQL it writes to the database, and running servers see the change on
 * their next request. An embedded data directory held by a running server is never
 * opened a second time (store/data-dir-lock.ts): that server is asked to re-apply
 * its configuration (SIGHUP) and its answer is awaited.
 */
import { resolve } from 'node:path';
import { DataDirHeld, dataDirHolder, lastApplied, type DataDirHolder } from '../store/data-dir-lock.js';
import { openDatabase, prepareDatabase, readConfig, type Environment } from '../startup.js';

/** How long a running server may take to re-apply before apply-config gives up waiting. */
const ANSWER_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

export interface CommandOutput {
  log(line: string): void;
  error(line: string): void;
}

async function askRunningServer(environment: Environment, holder: DataDirHolder, out: CommandOutput): Promise<number> {
  const ours = resolve(environment.configPath);
  if (holder.configPath === undefined) {
    out.error(`apply-config: ${environment.dataDir} is in use by process ${holder.pid} (not a server); retry when it has finished`);
    return 1;
  }
  if (holder.configPath !== ours) {
    out.error(
      `apply-config: the server running on ${environment.dataDir} (pid ${holder.pid}) serves ${holder.configPath}, not ${ours}; ` +
        `edit that file and run apply-config with TAXII_CONFIG=${holder.configPath}, or restart the server with the new file`,
    );
    return 1;
  }
  const asked = Date.now();
  process.kill(holder.pid, 'SIGHUP');
  for (let waited = 0; waited < ANSWER_TIMEOUT_MS; waited += POLL_MS) {
    await new Promise((done) => setTimeout(done, POLL_MS));
    const applied = lastApplied(environment.dataDir);
    if (applied !== undefined && applied.at >= asked) {
      if (applied.ok) {
        out.log(`${applied.message} (by the running server, pid ${holder.pid}, from ${ours})`);
        return 0;
      }
      out.error(`apply-config: the running server (pid ${holder.pid}) refused it: ${applied.message}`);
      return 1;
    }
    if (dataDirHolder(environment.dataDir) === undefined) break;
  }
  out.error(`apply-config: the server (pid ${holder.pid}) did not confirm within ${ANSWER_TIMEOUT_MS / 1000} s; see its log`);
  return 1;
}

export async function applyConfigCommand(environment: Environment, out: CommandOutput): Promise<number> {
  // Refuses an invalid file before anything is touched or any server is asked.
  const config = await readConfig(environment, process.env);
  if (environment.databaseUrl === undefined) {
    const holder = dataDirHolder(environment.dataDir);
    if (holder !== undefined) return askRunningServer(environment, holder, out);
  }
  let db;
  try {
    db = await openDatabase(environment);
  } catch (err) {
    // Taken between the look and the open: the holder is asked as above.
    if (err instanceof DataDirHeld) return askRunningServer(environment, err.holder, out);
    throw err;
  }
  try {
    await prepareDatabase(db, config);
    out.log(`configuration applied: ${resolve(environment.configPath)}`);
  } finally {
    await db.close();
  }
  return 0;
}
