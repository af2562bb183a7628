/**
 * Connection caps and timeouts of the listening server. Each open connection holds
 * a file descriptor; without caps, clients that connect and trickle (or never send)
 * a request can use up the process's descriptors, and then the database and files
 * fail for everyone (issue 10, defect 5).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ServerLimits } from '../config/types.js';

/** Node.js's own bound on a request line and its headers, kept as the floor. */
const BASE_HEADER_BYTES = 16 * 1024;
/**
 * Room per `match[...]` value in the URL: the longest usual STIX id (a 22-character
 * type such as x-mitre-data-component, `--`, a UUID) and a percent-encoded comma.
 */
const URL_BYTES_PER_MATCH_VALUE = 64;

/**
 * The HTTP server's timeouts and header bound. A `match[id]` list as long as
 * `max_match_values` allows must fit in the request line (issue 13: 340 ids were
 * refused with 431 under Node's 16 KB).
 */
export function serverOptions(limits: ServerLimits, maxMatchValues: number) {
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
      maxHeaderSize: BASE_HEADER_BYTES + URL_BYTES_PER_MATCH_VALUE * maxMatchValues,
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
