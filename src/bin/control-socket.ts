/**
 * The local control channel of a server on the embedded database (issue 12): the
 * data directory can be opened by one process only (store/data-dir-lock.ts), so
 * the administration commands (partner, key, collection, group, grant, revoke)
 * run inside the server that holds it. The
 * server listens on a Unix socket in the data directory, readable and writable by
 * its owner only (whoever may use it may read the database files anyway); a command
 * sends its arguments as one JSON line and gets back its output and exit code.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { JwtConfig } from '../config/types.js';
import type { Db } from '../store/db.js';
import { ADMIN_GROUPS, CommandFailed, parseAdminCommand, runAdminCommand, type Output } from './admin-cli.js';

const SOCKET_FILE = 'taxii-exchange.sock';
/** Commands the channel runs: those that change or list what the database holds. */
export const CONTROL_GROUPS: readonly string[] = Object.keys(ADMIN_GROUPS);
const MAX_REQUEST_BYTES = 64 * 1024;

export interface ControlAnswer {
  readonly status: number;
  readonly out: string;
  readonly err: string;
}

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, SOCKET_FILE);
}

/** Runs one command against `db`, its output captured. */
export async function runCaptured(db: Db, argv: readonly string[], jwt?: JwtConfig): Promise<ControlAnswer> {
  let out = '';
  let err = '';
  const output: Output = { log: (line) => (out += `${line}\n`), error: (line) => (err += `${line}\n`) };
  try {
    const [group, ...args] = argv;
    if (group === undefined || !CONTROL_GROUPS.includes(group)) throw new CommandFailed(`the server runs only ${CONTROL_GROUPS.join(' and ')} commands`, 2);
    const parsed = parseAdminCommand(group, args, output);
    if (parsed !== undefined) await runAdminCommand(db, parsed.command, parsed.args, output, async () => jwt);
    return { status: 0, out, err };
  } catch (failure) {
    if (!(failure instanceof CommandFailed)) throw failure;
    return { status: failure.exitCode, out, err: `${err}taxii-exchange: ${failure.message}\n` };
  }
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
      try {
        argv = (JSON.parse(request.slice(0, request.indexOf('\n'))) as { argv?: unknown }).argv;
      } catch {
        argv = undefined;
      }
      const answer = Array.isArray(argv) && argv.every((a) => typeof a === 'string')
        ? runCaptured(db, argv as string[], jwt)
        : Promise.resolve({ status: 2, out: '', err: 'taxii-exchange: the control channel takes {"argv": [...]}\n' });
      answer.then(
        (a) => {
          events.answered((argv as string[]).slice(0, 2).join(' '), a.status);
          socket.end(`${JSON.stringify(a)}\n`);
        },
        (err: unknown) => {
          events.error(err);
          socket.end(`${JSON.stringify({ status: 1, out: '', err: 'taxii-exchange: the server could not run the command; see its log\n' })}\n`);
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

/** Sends a command to the server holding `dataDir`. */
export function askServer(dataDir: string, argv: readonly string[], timeoutMs = 60_000): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(controlSocketPath(dataDir));
    let reply = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`the server did not answer within ${timeoutMs / 1000} s`)));
    socket.on('connect', () => socket.write(`${JSON.stringify({ argv })}\n`));
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(JSON.parse(reply) as ControlAnswer);
      } catch {
        reject(new Error('the server gave no answer'));
      }
    });
  });
}
