/**
 * Logins to the web console (issue 15), shared by every server process: a session
 * is found by the SHA-256 of its token, which only the admin's browser holds.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db.js';
import { toNumber } from './db.js';

export interface ConsoleSession {
  readonly admin: string;
  /** Sent back by the console's page with every change (the CSRF check). */
  readonly csrfToken: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

export interface NewConsoleSession extends ConsoleSession {
  /** For the browser's cookie only; not stored. */
  readonly token: string;
}

export interface ConsoleSessions {
  open(admin: string, lifetimeSeconds: number, now?: number): Promise<NewConsoleSession>;
  /** The session a token opens, if it has not ended. */
  find(token: string, now?: number): Promise<ConsoleSession | undefined>;
  close(token: string): Promise<void>;
}

const INSERT_SESSION = 'INSERT INTO console_sessions (token_hash, admin, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)';
const FIND_SESSION = 'SELECT admin, csrf_token, expires_at FROM console_sessions WHERE token_hash = $1 AND expires_at > $2';
const DELETE_SESSION = 'DELETE FROM console_sessions WHERE token_hash = $1';
const DELETE_ENDED_SESSIONS = 'DELETE FROM console_sessions WHERE expires_at <= $1';

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function createConsoleSessions(db: Db): ConsoleSessions {
  return {
    async open(admin, lifetimeSeconds, now = Date.now()) {
      const token = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(24).toString('base64url');
      const expiresAt = now + lifetimeSeconds * 1000;
      // Ended sessions go when a new one starts: no timer, and the table stays as small as the logins of a day.
      await db.query(DELETE_ENDED_SESSIONS, [now], { name: 'delete_ended_console_sessions' });
      await db.query(INSERT_SESSION, [hashOf(token), admin, csrfToken, now, expiresAt], { name: 'insert_console_session' });
      return { token, admin, csrfToken, expiresAt };
    },
    async find(token, now = Date.now()) {
      const rows = await db.query<{ admin: string; csrf_token: string; expires_at: unknown }>(FIND_SESSION, [hashOf(token), now], { name: 'find_console_session' });
      const row = rows[0];
      return row === undefined ? undefined : { admin: row.admin, csrfToken: row.csrf_token, expiresAt: toNumber(row.expires_at) };
    },
    async close(token) {
      await db.query(DELETE_SESSION, [hashOf(token)], { name: 'delete_console_session' });
    },
  };
}
