/**
 * Health for load balancers and orchestrators (issue 13), outside the TAXII tree
 * and without authentication: they disclose nothing but whether this process
 * can serve. And the server's OpenAPI document, public like the README.
 *
 * - `GET /healthz`: the process is up and answering (touches nothing else).
 * - `GET /readyz`: it can serve: the database answers within a bound, holds
 *   exactly this release's migrations, and the process is not shutting down. A
 *   process listens only once its configuration is applied, so that needs no
 *   check here. During shutdown it answers 503 while requests in flight finish,
 *   so a load balancer stops sending new ones first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PROJECT_ROOT } from '../../paths.js';
import { appliedMigrations, readMigrations } from '../../store/migrate.js';
import type { Db } from '../../store/db.js';
import { OPERATIONS_ROUTE } from '../surfaces.js';

/** Longest a readiness probe waits for the database. */
const DATABASE_PROBE_MS = 2_000;

type Check = 'ok' | string;

async function databaseCheck(db: Db, expected: number): Promise<{ database: Check; migrations: Check }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), DATABASE_PROBE_MS)));
  try {
    const applied = await Promise.race([appliedMigrations(db), timeout]);
    if (applied === 'timeout') return { database: `no answer within ${DATABASE_PROBE_MS / 1000} s`, migrations: 'unknown' };
    return { database: 'ok', migrations: applied === expected ? 'ok' : `${applied} applied, this release has ${expected}` };
  } catch {
    return { database: 'unreachable', migrations: 'unknown' };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(app: FastifyInstance, db: Db): void {
  const expected = readMigrations().length;
  let shuttingDown = false;
  app.addHook('preClose', async () => {
    shuttingDown = true;
  });
  const route = { config: OPERATIONS_ROUTE };

  app.get('/healthz', route, async (_request, reply) => reply.type('application/json; charset=utf-8').send({ status: 'ok' }));

  app.get('/readyz', route, async (request, reply) => {
    const checks = { ...(await databaseCheck(db, expected)), shutdown: shuttingDown ? 'in progress' : 'ok' };
    const ready = Object.values(checks).every((c) => c === 'ok');
    if (!ready) request.log.warn({ checks }, 'not ready');
    return reply.code(ready ? 200 : 503).type('application/json; charset=utf-8').send({ status: ready ? 'ready' : 'not ready', checks });
  });
}

/** The server's own contract, as shipped with it (openapi.yaml), for client generators and tooling. */
export function contractRoute(app: FastifyInstance): void {
  const document = readFileSync(join(PROJECT_ROOT, 'openapi.yaml'), 'utf8');
  app.get('/openapi.yaml', { config: OPERATIONS_ROUTE }, async (_request, reply) => reply.type('application/yaml; charset=utf-8').send(document));
}
