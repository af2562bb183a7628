/**
 * The local control channel of a server on the embedded database (issue 12): the
 * data directory can be opened by one process only (store/data-dir-lock.ts), so
 * the administration commands (partner, key, token, collection, group, grant,
 * revoke, import, export, audit) run inside the server that holds it. The server
 * listens on a Unix socket in the data directory, readable and writable by its
 * owner only (whoever may use it may read the database files anyway); a command
 * sends its arguments as one JSON line and gets back its output as it comes,
 * then its exit code.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { ImportProgress } from '../admin/transfers.js';
import type { JwtConfig } from '../config/types.js';
import type { Db } from '../store/db.js';
import { ADMIN_GROUPS, CommandFailed, parseAdminCommand, runAdminCommand, type Output } from './admin-cli.js';

const SOCKET_FILE = 'taxii-exchange.sock';
/** Commands the channel runs: those that change or list what the database holds. */
export const CONTROL_GROUPS: readonly string[] = Object.keys(ADMIN_GROUPS);
const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * The channel speaks JSON lines. The command line sends {"argv": [...]}; the server
 * answers with what the command outputs, as it goes ({"log"}, {"error"}, {"write"},
 * {"progress"}), then {"status"}: its exit code.
 */
type ServerMessage =
  | { readonly log: string }
  | { readonly error: string }
  | { readonly write: string }
  | { readonly progress: ImportProgress }
  | { readonly status: number };

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, SOCKET_FILE);
}

/** Runs one command against `db`, its output sent to `out`; returns the exit code. */
async function runFor(db: Db, argv: readonly string[], operator: string, out: Output, jwt: JwtConfig | undefined): Promise<number> {
  try {
    const [group, ...args] = argv;
    if (group === undefined || !CONTROL_GROUPS.includes(group)) throw new CommandFailed(`the server runs only ${CONTROL_GROUPS.join(', ')} commands`, 2);
    const parsed = parseAdminCommand(group, args, out);
    if (parsed !== undefined) await runAdminCommand(db, parsed, out, { operator, jwt: async () => jwt });
    return 0;
  } catch (failure) {
    if (!(failure instanceof CommandFailed)) throw failure;
    out.error(`taxii-exchange: ${failure.message}`);
    return failure.exitCode;
  }
}

/** An Output that sends each line to the command line; data waits while the socket is full. */
function socketOutput(socket: Socket): Output {
  const send = (message: ServerMessage): Promise<void> =>
    new Promise((resolve, reject) => {
      if (socket.destroyed) return reject(new Error('the command line went away'));
      if (socket.write(`${JSON.stringify(message)}\n`)) return resolve();
      const settle = () => {
        socket.off('drain', settle);
        socket.off('close', settle);
        if (socket.destroyed) reject(new Error('the command line went away'));
        else resolve();
      };
      socket.on('drain', settle);
      socket.on('close', settle);
    });
  const ignore = () => undefined;
  return {
    log: (line) => void send({ log: line }).catch(ignore),
    error: (line) => void send({ error: line }).catch(ignore),
    write: (chunk) => send({ write: chunk }),
    progress: (progress) => void send({ progress }).catch(ignore),
  };
}

/** Serves the channel; returns how to close it. */
export interface ControlEvents {
  /** A command was run: its group and subcommand (never its output, which may hold a new key). */
  answered(command: string, status: number): void;
  error(err: unknown): void;
}

/** `jwt`: the running configuration's, for `token issue`. */
export function serveControl(dataDir: string, db: Db, events: ControlEvents, jwt?: JwtConfig): () => Promise<void> {
  const path = controlSocketPath(dataDir);
  // Left by a server that was killed; the data directory lock says no other server runs.
  if (existsSync(path)) unlinkSync(path);
  const server: Server = createServer((socket) => {
    let request = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      request += chunk;
      if (request.length > MAX_REQUEST_BYTES) {
        socket.destroy();
        return;
      }
      if (!request.includes('\n')) return;
      socket.pause();
      let argv: unknown;
      let operator: unknown;
      try {
        ({ argv, operator } = JSON.parse(request.slice(0, request.indexOf('\n'))) as { argv?: unknown; operator?: unknown });
      } catch {
        argv = undefined;
      }
      const out = socketOutput(socket);
      const valid = Array.isArray(argv) && argv.every((a) => typeof a === 'string') && typeof operator === 'string';
      const run = valid ? runFor(db, argv as string[], operator as string, out, jwt) : Promise.resolve(refuseRequest(out));
      run.then(
        (status) => {
          events.answered(valid ? commandName(argv as string[]) : '(not a command)', status);
          socket.end(`${JSON.stringify({ status })}\n`);
        },
        (err: unknown) => {
          events.error(err);
          out.error('taxii-exchange: the server could not run the command; see its log');
          socket.end(`${JSON.stringify({ status: 1 })}\n`);
        },
      );
    });
  });
  server.on('error', (err) => events.error(err));
  server.listen(path, () => chmodSync(path, 0o600));
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      if (existsSync(path)) unlinkSync(path);
    });
}

/** `partner add`, `import`: what the log may say about a command (never its arguments). */
function commandName(argv: readonly string[]): string {
  return argv.slice(0, 2).filter((a) => !a.startsWith('-')).join(' ');
}

function refuseRequest(out: Output): number {
  out.error('taxii-exchange: the control channel takes {"argv": [...], "operator": "cli:<user>"}');
  return 2;
}

/** Runs a command in the server holding `dataDir`, its output passed to `out`; resolves with the exit code. */
export function askServer(dataDir: string, argv: readonly string[], operator: string, out: Output, timeoutMs = 60_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(controlSocketPath(dataDir));
    let buffered = '';
    let status: number | undefined;
    let delivering = Promise.resolve();
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`the server did not answer within ${timeoutMs / 1000} s`)));
    socket.on('connect', () => socket.write(`${JSON.stringify({ argv, operator })}\n`));
    const deliver = (message: ServerMessage) => {
      if ('log' in message) out.log(message.log);
      else if ('error' in message) out.error(message.error);
      else if ('progress' in message) out.progress(message.progress);
      else if ('status' in message) status = message.status;
      else if ('write' in message) {
        // Data goes out in order; the server waits while this side cannot keep up.
        socket.pause();
        delivering = delivering.then(() => out.write(message.write)).then(() => void socket.resume());
      }
    };
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          deliver(JSON.parse(line) as ServerMessage);
        } catch {
          socket.destroy(new Error('the server sent something that is not an answer'));
          return;
        }
      }
    });
    socket.on('error', reject);
    socket.on('end', () => {
      delivering.then(() => (status === undefined ? reject(new Error('the server gave no answer')) : resolve(status)), reject);
    });
  });
}
