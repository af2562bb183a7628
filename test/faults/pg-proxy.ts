/**
 * A TCP proxy in front of a PostgreSQL server, for faults that need the timing of
 * the wire (not a test file). While `terminateBeyond` is set to n, a connection
 * opened while n others are open is terminated (pg_terminate_backend) as soon as
 * its backend is ready for queries, and its client receives "ready for query" and
 * the FATAL 57P01 of the termination in one chunk: what a client busy elsewhere
 * reads when its connection is killed right after it opened (issue 10, defect 1).
 * The first n connections are left alone, so the client keeps working meanwhile.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface PgProxy {
  readonly port: number;
  /** Connections opened while this many others are open are terminated as they open; undefined: none. */
  terminateBeyond: number | undefined;
  /** Connections terminated on connect so far. */
  readonly terminated: number;
  close(): Promise<void>;
}

/**
 * Reads backend messages (type byte, int32 length) up to ReadyForQuery, noting the
 * backend's pid from BackendKeyData. Undefined until ReadyForQuery has arrived.
 */
function startupDone(buffer: Buffer): { pid: number | undefined } | undefined {
  let pid: number | undefined;
  for (let at = 0; at + 5 <= buffer.length; ) {
    const type = String.fromCharCode(buffer[at] as number);
    const length = buffer.readInt32BE(at + 1);
    if (at + 1 + length > buffer.length) return undefined;
    if (type === 'K') pid = buffer.readInt32BE(at + 5);
    if (type === 'Z') return { pid };
    at += 1 + length;
  }
  return undefined;
}

export async function startPgProxy(targetPort: number, terminate: (pid: number) => Promise<unknown>): Promise<PgProxy> {
  const sockets = new Set<Socket>();
  /** Client connections left alone, still open. */
  const open = new Set<Socket>();
  let terminated = 0;
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    client.on('end', () => upstream.end());
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    // Held back, when this connection is to be terminated, until the termination's FATAL has arrived behind "ready for query".
    const doomed = proxy.terminateBeyond !== undefined && open.size >= proxy.terminateBeyond;
    if (!doomed) {
      open.add(client);
      client.on('close', () => open.delete(client));
    }
    let held: Buffer | undefined = doomed ? Buffer.alloc(0) : undefined;
    upstream.on('data', (chunk: Buffer) => {
      if (held === undefined) {
        client.write(chunk);
        return;
      }
      const waiting = startupDone(held) === undefined;
      held = Buffer.concat([held, chunk]);
      const done = startupDone(held);
      if (!waiting || done === undefined) return;
      if (done.pid === undefined) {
        client.write(held);
        held = undefined;
        return;
      }
      terminated += 1;
      void terminate(done.pid).catch(() => undefined);
    });
    upstream.on('end', () => {
      if (held === undefined) client.end();
      else client.end(held);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: PgProxy = {
    port: (server.address() as AddressInfo).port,
    terminateBeyond: undefined,
    get terminated() {
      return terminated;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
