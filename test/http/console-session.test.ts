/**
 * Logins of the web console to the admin API (issue 15): off unless configured; admin
 * credentials only; the session cookie is HttpOnly and SameSite=Strict; every change
 * made with it carries the CSRF token; another site's page is refused; logging out
 * ends the session for good.
 */
import t from 'tap';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { CONTENT_SECURITY_POLICY } from '../../src/http/console-static.js';
import { createConsoleSessions } from '../../src/store/console-sessions.js';
import { ensureConsoleBuilt } from '../helpers/console-build.js';
import { ADMIN_KEY, TAXII, basicAuth, createAdminTestApp } from '../helpers/app.js';

ensureConsoleBuilt();
const app = await createAdminTestApp({ console: { session_hours: 2 } });
t.teardown(() => app.close());

const JSON_TYPE = { 'content-type': 'application/json', accept: 'application/json' };
const call = (method: InjectOptions['method'], url: string, headers: Record<string, string> = {}, payload?: unknown) =>
  app.app.inject({ method, url: `/admin/api${url}`, headers: { accept: 'application/json', ...headers }, ...(payload !== undefined && { payload: JSON.stringify(payload) }) });

function cookieOf(res: LightMyRequestResponse): string {
  const set = res.headers['set-cookie'];
  const line = (Array.isArray(set) ? set[0] : set) ?? '';
  return line.split(';')[0] ?? '';
}

async function login(): Promise<{ cookie: string; csrf: string; res: LightMyRequestResponse }> {
  const res = await call('POST', '/session', JSON_TYPE, { user: 'ops', key: ADMIN_KEY });
  return { res, cookie: cookieOf(res), csrf: (res.json() as { csrf_token: string }).csrf_token };
}

t.test('the console\'s page: never cached, a strict Content-Security-Policy, no framing; its hashed files cached for a year', async (t) => {
  const page = await app.app.inject({ url: '/console/' });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.equal(page.headers['cache-control'], 'no-cache');
  t.equal(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  t.match(CONTENT_SECURITY_POLICY, /script-src 'self';/, 'scripts from this server only');
  t.notMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
  t.equal(page.headers['x-frame-options'], 'DENY');
  t.notMatch(page.body, /<script>|<script [^>]*>[^<]/, 'no inline script in the page');
  const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
  if (script === undefined) return t.fail('the page loads a script');
  const asset = await app.app.inject({ url: script });
  t.equal(asset.statusCode, 200);
  t.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.match(asset.headers['content-type'], /javascript/);
  const missing = await app.app.inject({ url: '/console/assets/nothing-here-00000000.js' });
  t.equal(missing.statusCode, 404, 'a missing file is a 404, not a TAXII authentication challenge');
  t.equal((await app.app.inject({ url: '/console/assets/..%2f..%2fpackage.json' })).statusCode, 404, 'no way out of the directory');
});

t.test('off unless admin_api.console is configured', async (t) => {
  const without = await createAdminTestApp();
  t.teardown(() => without.close());
  const res = await without.app.inject({ method: 'POST', url: '/admin/api/session', headers: JSON_TYPE, payload: JSON.stringify({ user: 'ops', key: ADMIN_KEY }) });
  t.equal(res.statusCode, 401, 'no login route: the admin API asks for its credentials');
  t.equal(res.headers['set-cookie'], undefined, 'and sets no cookie');
  t.equal((await without.request('alice', { url: '/console/' })).statusCode, 404, 'and no console page (console is no API root either)');
});

t.test('a login sets an HttpOnly, SameSite=Strict cookie for the admin API only, and gives the CSRF token', async (t) => {
  const { res, cookie, csrf } = await login();
  t.equal(res.statusCode, 201, res.body);
  const set = String(res.headers['set-cookie']);
  t.match(set, /^taxii_console=[A-Za-z0-9_-]{43}; Max-Age=7200; Path=\/admin\/api; HttpOnly; SameSite=Strict$/, 'no Secure on plain HTTP');
  t.match(res.json(), { admin: 'ops', csrf_token: /^[A-Za-z0-9_-]{32}$/, expires: /^\d{4}-\d\d-\d\dT/ });
  const session = await call('GET', '/session', { cookie });
  t.equal(session.statusCode, 200);
  t.equal((session.json() as { csrf_token: string }).csrf_token, csrf, 'a reloaded page gets the CSRF token back');
  t.equal((await call('GET', '/partners', { cookie })).statusCode, 200, 'reads need only the cookie');
});

t.test('partner credentials, wrong keys and malformed logins open nothing', async (t) => {
  const partner = await call('POST', '/session', JSON_TYPE, { user: 'alice', key: 'alice-secret-key-0001' });
  t.equal(partner.statusCode, 401);
  t.match(partner.json(), { description: /partner credentials do not open the console/ });
  t.equal((await call('POST', '/session', JSON_TYPE, { user: 'ops', key: 'not-the-key-000000000' })).statusCode, 401, 'a wrong key');
  t.equal((await call('POST', '/session', JSON_TYPE, { user: 'ops' })).statusCode, 400, 'no key');
  t.equal((await call('POST', '/session', JSON_TYPE, ['ops', ADMIN_KEY])).statusCode, 400, 'not an object');
  t.equal((await call('GET', '/partners', { cookie: 'taxii_console=forged-token' })).statusCode, 401, 'a forged cookie');
  t.equal((await call('GET', '/session')).statusCode, 401, 'no session');
  const fromPage = await call('GET', '/session', { 'x-taxii-console': '1' });
  t.equal(fromPage.statusCode, 401);
  t.equal(fromPage.headers['www-authenticate'], 'Console realm="taxii-exchange"', 'the console\'s page is not challenged with Basic (a browser would prompt)');
  t.match(String((await call('GET', '/session')).headers['www-authenticate']), /^Basic /, 'other clients are');
});

t.test('a change made with the cookie needs the CSRF token; another site\'s page is refused', async (t) => {
  const { cookie, csrf } = await login();
  const partner = { id: 'frank', name: 'Frank' };
  const bare = await call('POST', '/partners', { ...JSON_TYPE, cookie }, partner);
  t.equal(bare.statusCode, 403, 'no CSRF token');
  t.match(bare.json(), { description: /carries its CSRF token in the x-csrf-token header/ });
  t.equal((await call('POST', '/partners', { ...JSON_TYPE, cookie, 'x-csrf-token': 'wrong' }, partner)).statusCode, 403, 'a wrong CSRF token');
  const crossSite = await call('GET', '/partners', { cookie, origin: 'https://evil.example' });
  t.equal(crossSite.statusCode, 403, 'even a read, from another site\'s page');
  t.equal((await call('POST', '/session', { ...JSON_TYPE, origin: 'https://evil.example' }, { user: 'ops', key: ADMIN_KEY })).statusCode, 403, 'and a login');
  const made = await call('POST', '/partners', { ...JSON_TYPE, cookie, 'x-csrf-token': csrf, origin: 'http://localhost:80' }, partner);
  t.equal(made.statusCode, 201, made.body);
  const audit = (await call('GET', '/audit?partner=api:ops', { cookie })).json() as { events: { via: string }[] };
  t.ok(audit.events.some((e) => e.via === 'partner add'), 'the change is the admin\'s in the audit trail');
  t.ok(audit.events.some((e) => e.via === 'console login'), 'so is the login');
});

t.test('the cookie opens nothing on the TAXII side', async (t) => {
  const { cookie } = await login();
  t.equal((await app.app.inject({ url: '/taxii2/', headers: { accept: TAXII, cookie } })).statusCode, 401);
});

t.test('logging out ends the session; an ended session opens nothing', async (t) => {
  const { cookie, csrf } = await login();
  t.equal((await call('DELETE', '/session', { cookie })).statusCode, 403, 'logging out needs the CSRF token too');
  const out = await call('DELETE', '/session', { cookie, 'x-csrf-token': csrf });
  t.equal(out.statusCode, 204);
  t.match(String(out.headers['set-cookie']), /^taxii_console=; Max-Age=0; Path=\/admin\/api; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict$/, 'the cookie is cleared');
  t.equal((await call('GET', '/partners', { cookie })).statusCode, 401, 'the old cookie is refused');

  const expired = await createConsoleSessions(app.testDb.db).open('ops', 60, Date.now() - 120_000);
  t.equal((await call('GET', '/partners', { cookie: `taxii_console=${expired.token}` })).statusCode, 401, 'an expired session');
  t.equal((await call('GET', '/partners', { authorization: basicAuth('ops', ADMIN_KEY) })).statusCode, 200, 'HTTP Basic works as before');
});
