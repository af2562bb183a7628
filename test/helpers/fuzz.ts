/**
 * The machinery of the property-based fuzz tests (test/fuzz/): run settings, the
 * invariants every response must meet, and a count of the requests made.
 *
 * Runs and seed: every property has a default number of runs sized for `npm test`
 * and a FIXED seed, so CI is deterministic. `TAXII_FUZZ_RUNS=n` runs every
 * property n times (`npm run fuzz` uses 5000); `TAXII_FUZZ_SEED=n` replays a seed
 * and `TAXII_FUZZ_SEED=random` draws one. Each file prints its seed first, and a
 * failure prints fast-check's seed, path and shrunk counterexample.
 *
 * Invariants of every response (taxii-2.1.md T19, TR2, §9.9, TR18, T8):
 *  - no 5xx, except 503 with a Retry-After of whole seconds where a server limit
 *    applies: only POST objects (the body-admission budget and the database lock,
 *    statement and pool timeouts of src/store/db-errors.ts); nowhere else;
 *  - Content-Type exactly `application/taxii+json;version=2.1`, success or error;
 *  - every 4xx/5xx body (HEAD aside) is a TAXII error resource: JSON with a string
 *    `title`, `http_status` equal to the status as a string, string `error_code`
 *    and `error_id`; a 401 carries WWW-Authenticate;
 *  - a content-coded body is br or gzip, and decodes.
 */
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Test } from 'tap';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { TAXII, basicAuth } from './app.js';

const DEFAULT_SEED = 20261202;

function parseSeed(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_SEED;
  if (text === 'random') return (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const seed = Number(text);
  if (!Number.isInteger(seed)) throw new Error(`TAXII_FUZZ_SEED must be an integer or "random", got "${text}"`);
  return seed;
}

function parseRuns(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const runs = Number(text);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`TAXII_FUZZ_RUNS must be a positive integer, got "${text}"`);
  return runs;
}

export const FUZZ_SEED = parseSeed(process.env['TAXII_FUZZ_SEED']);
const RUNS_OVERRIDE = parseRuns(process.env['TAXII_FUZZ_RUNS']);

/** Runs of one property: its default in `npm test`, TAXII_FUZZ_RUNS when set. */
export function fuzzRuns(defaultRuns: number): number {
  return RUNS_OVERRIDE ?? defaultRuns;
}

/** Requests made by this test file (inject() calls and raw-socket requests). */
export const requestCount = { inject: 0, raw: 0 };

/** Statuses answered during the current property, for its summary line. */
const statuses = new Map<string, number>();

/** Counts one answer (a status, or "closed"/"reset" for a connection without one). */
export function tally(outcome: number | string): void {
  statuses.set(String(outcome), (statuses.get(String(outcome)) ?? 0) + 1);
}

/** An HTTP request and its answer, whichever way it was sent. */
export interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly requestHeaders: Readonly<Record<string, string | undefined>>;
  /** What was sent as the body (text, or bytes when not UTF-8), for the report. */
  readonly requestBody?: string | Buffer;
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | number | undefined>>;
  readonly body: Buffer;
}

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

function excerpt(value: string | Buffer | undefined, max = 600): string {
  if (value === undefined) return '(none)';
  const text = typeof value === 'string' ? value : value.toString('latin1');
  const shown = text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
  return JSON.stringify(shown);
}

/** The request and response, short enough for a test report. */
export function describeExchange(ex: Exchange): string {
  const reqHeaders = Object.entries(ex.requestHeaders)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${excerpt(v, 200)}`)
    .join('; ');
  const resHeaders = Object.entries(ex.headers)
    .filter(([k]) => !['date', 'connection', 'keep-alive'].includes(k))
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join('; ');
  return [
    `request: ${ex.method} ${excerpt(ex.url, 300)}`,
    `  headers: ${reqHeaders}`,
    ...(ex.requestBody === undefined ? [] : [`  body: ${excerpt(ex.requestBody)}`]),
    `response: ${ex.status}`,
    `  headers: ${resHeaders}`,
    `  body: ${excerpt(decodedBody(ex) ?? ex.body)}`,
  ].join('\n');
}

function header(ex: Exchange, name: string): string | undefined {
  const value = ex.headers[name];
  return value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : String(value);
}

/** The body with its content coding removed; undefined when it does not decode. */
export function decodedBody(ex: Exchange): Buffer | undefined {
  const coding = header(ex, 'content-encoding')?.trim().toLowerCase();
  try {
    if (coding === undefined || coding === 'identity') return ex.body;
    if (coding === 'br') return brotliDecompressSync(ex.body);
    if (coding === 'gzip') return gunzipSync(ex.body);
  } catch {
    return undefined;
  }
  return undefined;
}

export interface ResponseRules {
  /** 503 with Retry-After is tolerated (only where a server limit applies: POST objects). */
  readonly allow503?: boolean;
  /** The request was HEAD: no body to check. */
  readonly head?: boolean;
}

/** Every broken invariant of one response (empty when it is fine). */
export function responseViolations(ex: Exchange, rules: ResponseRules = {}): string[] {
  const problems: string[] = [];
  const { status } = ex;
  if (status >= 500) {
    const retryAfter = header(ex, 'retry-after');
    const tolerated = status === 503 && rules.allow503 === true && retryAfter !== undefined && /^[1-9][0-9]*$/.test(retryAfter);
    if (!tolerated) problems.push(`HTTP ${status}: a 5xx (only 503 with Retry-After on POST objects is tolerated)`);
  }
  if (status < 200 || status > 599) problems.push(`HTTP ${status} is not a final status`);
  const type = header(ex, 'content-type');
  if (type !== TAXII) problems.push(`Content-Type is ${JSON.stringify(type)}, not exactly ${TAXII} (T19, TR2)`);
  if (status === 401 && header(ex, 'www-authenticate') === undefined) problems.push('401 without WWW-Authenticate (T8)');
  const coding = header(ex, 'content-encoding')?.trim().toLowerCase();
  if (coding !== undefined && !['br', 'gzip', 'identity'].includes(coding)) problems.push(`unexpected Content-Encoding ${coding}`);
  const body = decodedBody(ex);
  if (body === undefined) {
    problems.push(`the body does not decode as ${String(coding)}`);
    return problems;
  }
  if (rules.head === true || status < 400) return problems;
  let resource: unknown;
  try {
    resource = JSON.parse(body.toString('utf8'));
  } catch {
    problems.push('the error body is not JSON (TR18)');
    return problems;
  }
  if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) {
    problems.push('the error body is not a JSON object (§9.9)');
    return problems;
  }
  const error = resource as Record<string, unknown>;
  if (typeof error['title'] !== 'string' || error['title'] === '') problems.push('error resource without a string title (§9.9)');
  if (error['http_status'] !== String(status)) {
    problems.push(`error http_status ${JSON.stringify(error['http_status'])} is not "${status}" (§9.9)`);
  }
  if (typeof error['error_code'] !== 'string') problems.push('error resource without a string error_code');
  if (typeof error['error_id'] !== 'string') problems.push('error resource without a string error_id');
  return problems;
}

/** Throws an InvariantViolation naming the request and response when `problems` is not empty. */
export function requireNone(problems: readonly string[], ex: Exchange): void {
  if (problems.length > 0) throw new InvariantViolation(`${problems.join('; ')}\n${describeExchange(ex)}`);
}

/** Fails (for fast-check to shrink) unless `condition`, describing the exchange. */
export function ensure(condition: boolean, problem: string, ex: Exchange): void {
  if (!condition) requireNone([problem], ex);
}

/** inject() with exactly these headers, counted; returns the exchange. */
export async function inject(
  app: FastifyInstance,
  options: InjectOptions & { url: string; headers: Record<string, string | undefined> },
  tallied = true,
): Promise<Exchange> {
  requestCount.inject++;
  const headers = Object.fromEntries(Object.entries(options.headers).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const res = await app.inject({ ...options, headers });
  if (tallied) tally(res.statusCode);
  const payload = options.payload;
  return {
    method: options.method ?? 'GET',
    url: options.url,
    requestHeaders: headers,
    ...(payload !== undefined && { requestBody: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload) }),
    status: res.statusCode,
    headers: res.headers,
    body: res.rawPayload,
  };
}

/** inject() and the response invariants in one: throws on a violation. */
export async function checkedInject(
  app: FastifyInstance,
  options: InjectOptions & { url: string; headers: Record<string, string | undefined> },
  rules: ResponseRules = {},
): Promise<Exchange> {
  const ex = await inject(app, options);
  requireNone(responseViolations(ex, { head: options.method === 'HEAD', ...rules }), ex);
  return ex;
}

/** The server still answers discovery (E1) with 200: it survived whatever came before. */
export async function requireAlive(app: FastifyInstance): Promise<void> {
  const ex = await inject(app, { url: '/taxii2/', headers: { accept: TAXII, authorization: basicAuth('alice') } }, false);
  ensure(ex.status === 200, `GET /taxii2/ answers ${ex.status} after the fuzzed request, not 200`, ex);
  requireNone(responseViolations(ex), ex);
}

/** Parses a JSON body (after content decoding); throws a violation when it is not JSON. */
export function jsonBody(ex: Exchange): Record<string, unknown> {
  const body = decodedBody(ex);
  try {
    const parsed: unknown = JSON.parse((body ?? Buffer.alloc(0)).toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InvariantViolation(`a ${ex.status} body is not a JSON object\n${describeExchange(ex)}`);
}

function clip(message: string): string {
  // A counterexample may hold strings of hundreds of kilobytes; keep the report readable.
  return message
    .split('\n')
    .map((line) => (line.length > 4000 ? `${line.slice(0, 4000)}… (${line.length} chars)` : line))
    .join('\n');
}

/**
 * Runs an async property with the file's seed and `fuzzRuns(defaultRuns)` runs as
 * a tap subtest; a failure reports fast-check's replay data and counterexample.
 */
export async function checkProperty<T>(
  t: Test,
  name: string,
  defaultRuns: number,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
): Promise<void> {
  await t.test(name, async (t) => {
    const numRuns = fuzzRuns(defaultRuns);
    const before = requestCount.inject + requestCount.raw;
    const started = Date.now();
    statuses.clear();
    try {
      await fc.assert(fc.asyncProperty(arbitrary, predicate), { seed: FUZZ_SEED, numRuns });
      t.pass(`${numRuns} runs`);
    } catch (err) {
      // fast-check 4 keeps the predicate's own error as the cause.
      const cause = (err as Error & { cause?: unknown }).cause;
      const report = [clip((err as Error).message), ...(cause instanceof Error ? [`Got: ${clip(cause.message)}`] : [])].join('\n');
      t.fail(`property failed; replay with TAXII_FUZZ_SEED=${FUZZ_SEED} TAXII_FUZZ_RUNS=${numRuns}`);
      for (const line of report.split('\n')) t.comment(line);
    }
    const answers = [...statuses].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}×${n}`).join(' ');
    t.comment(`${name}: ${numRuns} runs, ${requestCount.inject + requestCount.raw - before} requests, ${Date.now() - started} ms; answers ${answers}`);
  });
}

/** Prints the seed first (for replay) and the file's request count last. */
export function announce(t: Test): void {
  t.comment(`fuzz seed ${FUZZ_SEED} (TAXII_FUZZ_SEED), runs ${RUNS_OVERRIDE ?? 'per-property defaults'} (TAXII_FUZZ_RUNS)`);
  t.teardown(() => {
    console.log(`# fuzz requests: ${requestCount.inject} inject, ${requestCount.raw} raw-socket`);
  });
}
