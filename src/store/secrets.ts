/** Server-wide secrets kept in the database, so every process shares them and they survive restarts. */
import { randomBytes } from 'node:crypto';
import type { Db } from './db.js';

/** Returns the named secret, creating a random one on first use (race-safe). */
export async function getOrCreateSecret(db: Db, name: string): Promise<Buffer> {
  const candidate = randomBytes(32).toString('base64');
  await db.query('INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, candidate], { name: 'create_secret' });
  const rows = await db.query<{ value: string }>('SELECT value FROM server_secrets WHERE name = $1', [name], { name: 'read_secret' });
  return Buffer.from((rows[0] as { value: string }).value, 'base64');
}
