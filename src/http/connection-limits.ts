/**
 * Connection caps and timeouts of the listening server. Each open connection holds
 * a file descriptor; without caps, clients that connect and trickle (or never send)
 * a request can use up the process's descriptors, and then the database and files
 * fail for everyone (issue 10, defect 5).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ServerLimits } from '../config/types.js';

/** Fastify/Node server options for the timeouts (milliseconds). */
export function serverTimeouts(limits: ServerLimits) {
  const headersMs = limits.headersTimeoutSeconds * 1000;
  const requestMs = Math.max(limits.requestTimeoutSeconds * 1000, headersMs);
  return {
    // Socket inactivity: Node destroys a connection on which nothing moves for this long.
    connectionTimeout: limits.idleTimeoutSeconds * 1000,
    keepAliveTimeout: limits.keepAliveTimeoutSeconds * 1000,
    requestTimeout: requestMs,
    http: {
      headersTimeout: headersMs,
      // Node checks both timeouts on this period (default 30 s): keep it well below them.
      connectionsCheckingInterval: Math.min(1000, headersMs),
      // Checked by the app instead, which answers a TAXII error rather than a bare 400.
      requireHostHeader: false,
    },
  };
}

/**
 * At most `maxConnections` open connections, and `perAddress` from one client
 * address; a connection over either cap is closed as soon as it is accepted.
 */
export function capConnections(server: Server, maxConnections: number, perAddress: number): void {
  server.maxConnections = maxConnections;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    if (count > perAddress) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
