/**
 * The metrics' listener of their own (`metrics.port`): GET /metrics without
 * credentials, for a Prometheus on a network that partners do not reach, and
 * nothing else.
 */
import { createServer } from 'node:http';
import type { Logger } from 'pino';
import type { MetricsSource } from './http/metrics.js';

export interface MetricsListener {
  readonly port: number;
  close(): Promise<void>;
}

export async function listenForMetrics(listen: { readonly host: string; readonly port: number }, source: MetricsSource, logger: Logger): Promise<MetricsListener> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Only GET /metrics is served here.\n');
      return;
    }
    source().then(
      ({ contentType, text }) => response.writeHead(200, { 'content-type': contentType }).end(request.method === 'HEAD' ? undefined : text),
      (err: unknown) => {
        logger.error({ err }, 'metrics could not be collected');
        response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics could not be collected; see the server log.\n');
      },
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : listen.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
