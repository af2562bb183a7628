/**
 * The admin API as the console calls it: same origin, the session cookie, and the
 * session's CSRF token on every change. The console has no rules of its own: what it
 * shows and may do is what the admin API answers.
 */

const BASE = '/admin/api';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Session {
  readonly admin: string;
  readonly csrf_token: string;
  readonly expires: string;
}

let csrfToken: string | undefined;

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  // x-taxii-console: the server then challenges a 401 with its own scheme, not Basic (no browser prompt).
  const headers: Record<string, string> = { accept: 'application/json', 'x-taxii-console': '1' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${BASE}${path}`, init);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const json = text === '' ? undefined : (JSON.parse(text) as unknown);
  if (!res.ok) {
    const error = json as { title?: string; description?: string } | undefined;
    throw new ApiError(res.status, error?.description ?? error?.title ?? `${res.status} ${res.statusText}`);
  }
  return json as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => call<T>('PUT', path, body),
  delete: <T>(path: string) => call<T>('DELETE', path),
};

/** The session of the cookie, if any (a reloaded page). */
export async function currentSession(): Promise<Session | undefined> {
  try {
    const session = await api.get<Session>('/session');
    csrfToken = session.csrf_token;
    return session;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return undefined;
    throw err;
  }
}

export async function logIn(user: string, key: string): Promise<Session> {
  const session = await api.post<Session>('/session', { user, key });
  csrfToken = session.csrf_token;
  return session;
}

export async function logOut(): Promise<void> {
  await api.delete<void>('/session');
  csrfToken = undefined;
}
