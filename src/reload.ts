/**
 * SIGHUP: the running server re-reads its configuration file and applies it to
 * the database, as `taxii-exchange apply-config` does. API roots, collections,
 * partners, groups and grants are read from the database on every request, so
 * they change on the next one; the `server` and `auth` sections are read at start
 * and change only with a restart (a warning says so). On the embedded database the
 * outcome is also written to the data directory, where apply-config waits for it.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { Config } from './config/types.js';
import { applyConfig } from './store/config-sync.js';
import { recordApplied } from './store/data-dir-lock.js';
import type { Db } from './store/db.js';
import { readConfig, type Environment } from './startup.js';

export interface Reload {
  /** Re-applies the configuration file now; resolves once done (never rejects). */
  reapply(): Promise<void>;
  stop(): void;
}

export function reapplyOnHangup(db: Db, environment: Environment, running: Config, logger: Logger): Reload {
  let queue = Promise.resolve();
  const once = async () => {
    let outcome: { ok: boolean; message: string };
    try {
      const next = await readConfig(environment, process.env);
      await applyConfig(db, next);
      outcome = {
        ok: true,
        message: `configuration applied: ${next.apiRoots.length} API roots, ${next.partners.length} partners`,
      };
      logger.info({ config: environment.configPath }, outcome.message);
      if (!isDeepStrictEqual(next.server, running.server) || !isDeepStrictEqual(next.auth, running.auth)) {
        logger.warn('the "server" and "auth" sections changed: they take effect when the server restarts');
      }
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      outcome = { ok: false, message: `configuration not applied: ${reason}` };
      logger.error({ config: environment.configPath, err }, outcome.message);
    }
    if (environment.databaseUrl === undefined) {
      try {
        recordApplied(environment.dataDir, { at: Date.now(), ...outcome });
      } catch (err) {
        logger.error({ err }, 'could not record the outcome of SIGHUP in the data directory');
      }
    }
  };
  // One at a time, in the order the signals came.
  const reapply = () => (queue = queue.then(once));
  const onHangup = () => {
    logger.info({ signal: 'SIGHUP' }, 're-applying the configuration');
    void reapply();
  };
  process.on('SIGHUP', onHangup);
  return { reapply, stop: () => process.off('SIGHUP', onHangup) };
}
