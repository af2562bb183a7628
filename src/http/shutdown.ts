/**
 * Graceful close of a listening app: stop accepting, let requests in flight finish
 * within the grace period, then close the connections that are left (idle keep-alive
 * ones at once, stalled or trickling ones when the grace ends), and wait for writes
 * still in progress before the caller closes the database (issue 10, defect 5).
 */
import type { FastifyInstance } from 'fastify';

export async function closeGracefully(app: FastifyInstance, graceMs: number): Promise<{ writesFinished: boolean }> {
  const deadline = Date.now() + graceMs;
  const force = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(force);
  }
  // A write whose client went away keeps running; a little beyond the grace it is still
  // better to finish it than to cut its transaction or status off.
  const writesFinished = await app.writesInProgress.idle(Math.max(deadline - Date.now(), 0) + 5_000);
  return { writesFinished };
}
