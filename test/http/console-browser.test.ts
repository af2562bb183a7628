/**
 * The web console in a real browser (issue 15): Debian's Chromium driven by
 * playwright-core, against a server listening on 127.0.0.1. An admin logs in, sees
 * the overview's charts drawn from a seeded exchange, onboards a partner whose new
 * key then polls over TAXII, and suspends it, after which its next request is
 * refused. Screenshots of each page go to test-output/console/ (not in git) for a
 * reviewer to look at. The browser is kept off the network (its flags), and the page
 * must raise no Content-Security-Policy violation or script error.
 */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/paths.js';
import { ADMIN_KEY, C_RW, TAXII, basicAuth, createAdminTestApp } from '../helpers/app.js';
import { ensureConsoleBuilt } from '../helpers/console-build.js';
import { httpCall } from '../helpers/http-client.js';
import { indicator } from '../helpers/stix.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-extensions',
];
const SCREENSHOTS = join(PROJECT_ROOT, 'test-output', 'console');

ensureConsoleBuilt();
mkdirSync(SCREENSHOTS, { recursive: true });

const server = await createAdminTestApp({ console: {} });
await server.app.listen({ host: '127.0.0.1', port: 0 });
const address = server.app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
const origin = `http://127.0.0.1:${port}`;

// A seeded exchange: alice pushes, then alice pulls, so that the charts have something to draw.
const seededIndicator = indicator({ object_marking_refs: ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da'] });
const pushed = await server.post('alice', `/main/collections/${C_RW}/`, [
  seededIndicator,
  indicator({ object_marking_refs: ['marking-definition--f88d31f6-486f-44da-b317-01333bde0b82'] }),
  indicator(),
]);
if (pushed.statusCode !== 202) throw new Error(`seeding failed: ${pushed.body}`);
const refusedPost = await server.post('alice', `/main/collections/${C_RW}/`, [indicator({ pattern: "[ipv4-addr:value = '1.2.3.4' AND file:name = 'a']" })]);
if (refusedPost.json().failure_count !== 1) throw new Error(`seeding failed: ${refusedPost.body}`);
await server.request('alice', { url: `/main/collections/${C_RW}/objects/` });
// A collection made by administration, whose settings the console may change.
const made = await server.app.inject({
  method: 'POST', url: '/admin/api/collections', headers: { authorization: basicAuth('ops', ADMIN_KEY), 'content-type': 'application/json' },
  payload: JSON.stringify({ api_root: 'main', title: 'Phishing', alias: 'phishing' }),
});
if (made.statusCode !== 201) throw new Error(`seeding failed: ${made.body}`);

const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
t.teardown(async () => {
  await browser.close();
  await server.close();
});

/** A fresh page whose script errors and CSP violations are collected, and whose confirmations are accepted. */
async function openPage(problems: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  // A refused request is logged by the browser too; which ones are refused is checked below, by path.
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
  });
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    // Before login, the page asks whether a session exists: the one refusal expected.
    if (response.status() >= 400 && !(response.status() === 401 && path === '/admin/api/session' && response.request().method() === 'GET')) {
      problems.push(`${response.status()} ${response.request().method()} ${path}`);
    }
  });
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('dialog', (dialog) => void dialog.accept());
  // Nothing but this server: a request anywhere else is a bug.
  page.on('request', (request) => {
    if (!request.url().startsWith(origin)) problems.push(`request off the server: ${request.url()}`);
  });
  return page;
}

async function logIn(page: Page): Promise<void> {
  await page.goto(`${origin}/console/`);
  await page.getByLabel('Admin user').fill('ops');
  await page.getByLabel('Key').fill(ADMIN_KEY);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

t.test('usable with the keyboard alone: log in, move between pages, open a partner\'s traffic', async (t) => {
  const problems: string[] = [];
  const page = await openPage(problems);
  await page.goto(`${origin}/console/`);
  // The form appears once the page knows there is no session yet.
  await page.getByLabel('Admin user').waitFor();
  await page.keyboard.press('Tab');
  await page.keyboard.type('ops');
  t.equal(await page.getByLabel('Admin user').inputValue(), 'ops', 'Tab reaches the admin user first');
  await page.keyboard.press('Tab');
  await page.keyboard.type(ADMIN_KEY);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByRole('link', { name: 'Partners' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Partners' }).waitFor();
  await page.locator('tr[data-partner="alice"]').getByRole('button', { name: 'Traffic' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('[data-traffic="alice"] canvas').first().waitFor();
  t.equal(await page.locator('[data-traffic="alice"] canvas').count(), 2, 'alice\'s sent and received charts');
  t.same(problems, [], 'no script error and no CSP violation');
  await page.context().close();
});

t.test('a wrong key is refused in words; partner keys open nothing', async (t) => {
  const problems: string[] = [];
  const page = await openPage(problems);
  await page.goto(`${origin}/console/`);
  await page.getByLabel('Admin user').fill('alice');
  await page.getByLabel('Key').fill('alice-secret-key-0001');
  await page.getByRole('button', { name: 'Log in' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  t.match(await alert.textContent(), /Wrong admin user or key; partner credentials do not open the console/);
  await page.screenshot({ path: join(SCREENSHOTS, 'login-refused.png') });
  t.same(problems, ['401 POST /admin/api/session'], 'no script error and no CSP violation; the refused login is the one refusal');
  await page.context().close();
});

t.test('the overview: figures, and the charts drawn from the seeded exchange', async (t) => {
  const problems: string[] = [];
  const page = await openPage(problems);
  await logIn(page);
  await page.locator('[data-chart="received"] canvas').waitFor();
  t.equal(await page.locator('[data-chart="received"] canvas').count(), 1, 'the received-per-day chart is drawn');
  t.equal(await page.locator('[data-chart="served"] canvas').count(), 1, 'the served-per-day chart is drawn');
  t.ok((await page.locator('[data-chart="tlp"] canvas').count()) >= 1, 'a TLP chart per collection with objects');
  t.match(await page.locator('[data-chart="received"]').textContent(), /alice/, 'the received chart\'s legend names the partner');
  const row = page.getByRole('row').filter({ hasText: 'rw' });
  t.match(await row.first().textContent(), /main.*3.*3/, 'the collection row counts its 3 objects and 3 versions');
  await page.locator('[data-health]').filter({ hasText: 'ready' }).waitFor();
  t.equal(await page.locator('[data-health]').textContent(), 'Server: ready', 'the server\'s health');
  await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true });
  t.same(problems, [], 'no script error and no CSP violation');
  await page.context().close();
});

t.test('an object\'s versions as stored, and why a partner does or does not receive them', async (t) => {
  const problems: string[] = [];
  const page = await openPage(problems);
  await logIn(page);
  await page.getByRole('link', { name: 'Objects' }).click();
  await page.getByLabel('Collection').selectOption({ label: 'main / Read-write' });
  await page.getByLabel('Type').fill('indicator');
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('link', { name: String(seededIndicator['id']) }).click();
  const versions = page.getByRole('region', { name: `Versions of ${String(seededIndicator['id'])}` });
  await versions.locator('pre').first().waitFor();
  t.match(await versions.textContent(), /by alice; TLP:GREEN/, 'who added it and its marking');
  t.match(await versions.locator('pre').first().textContent(), /"pattern_type": "stix"/, 'the object as stored, formatted');
  await versions.getByRole('textbox', { name: 'Partner' }).fill('dave');
  await versions.getByRole('button', { name: 'Does it receive this?' }).click();
  const access = versions.locator('[data-access="dave"]');
  await access.waitFor();
  t.equal(await access.textContent(), 'dave does not receive this version: dave holds no grant on this collection.');
  await page.screenshot({ path: join(SCREENSHOTS, 'objects.png'), fullPage: true });
  t.same(problems, [], 'no script error and no CSP violation');
  await page.context().close();
});

t.test('onboard a partner in the browser, poll with its new key, grant it a collection, find it in the audit of what it pulled, suspend it: its next request is refused', async (t) => {
  const problems: string[] = [];
  const page = await openPage(problems);
  await logIn(page);
  await page.getByRole('link', { name: 'Partners' }).click();
  await page.getByRole('heading', { name: 'Partners' }).waitFor();
  await page.getByLabel('Id').fill('gina');
  await page.getByLabel('Name').fill('Gina CERT');
  await page.getByLabel('Clearance').selectOption('amber');
  await page.getByRole('button', { name: 'Add partner' }).click();
  const firstKey = (await page.locator('code[data-new-key="gina"]').textContent()) ?? '';
  t.match(firstKey, /^[A-Za-z0-9_-]{20,}$/, 'the new key is shown');
  await page.screenshot({ path: join(SCREENSHOTS, 'partner-added.png'), fullPage: true });

  const firstPoll = await httpCall({ port, path: '/taxii2/', headers: { accept: TAXII, authorization: basicAuth('gina', firstKey) } });
  t.equal(firstPoll.status, 200, 'the new key polls over TAXII');

  // Its clearance changed, and its key rotated, in the browser.
  const row = page.locator('tr[data-partner="gina"]');
  await row.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Clearance of gina').selectOption('green');
  await page.getByLabel('Communities of gina').fill('eu, nato');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Partner gina now has clearance GREEN and communities eu, nato.' }).waitFor();
  // The list reloads after the change is reported: wait for the row to show it.
  await row.filter({ hasText: 'eu, nato' }).waitFor();
  t.match(await row.textContent(), /GREEN.*eu, nato.*never.*never/, 'the row shows it; gina has pulled nothing yet (its discovery is no pull)');
  await row.getByRole('button', { name: 'Rotate key' }).click();
  await page.getByRole('status').filter({ hasText: 'its other keys are revoked' }).waitFor();
  const key = (await page.locator('code[data-new-key="gina"]').textContent()) ?? '';
  t.not(key, firstKey, 'a new key');
  t.equal((await httpCall({ port, path: '/taxii2/', headers: { accept: TAXII, authorization: basicAuth('gina', firstKey) } })).status, 401, 'the old key is refused');
  t.equal((await httpCall({ port, path: '/taxii2/', headers: { accept: TAXII, authorization: basicAuth('gina', key) } })).status, 200, 'the new one works');

  // A grant, made and edited in the browser: gina may read the collection, then write too.
  await page.getByRole('link', { name: 'Collections' }).click();
  const rw = page.locator('section[data-collection="rw"]');
  await rw.getByLabel('Partner or @group').fill('gina');
  await rw.getByRole('button', { name: 'Grant' }).click();
  await page.getByRole('status').filter({ hasText: 'gina may now read Read-write.' }).waitFor();
  // A click, not check(): the box shows what the server holds, after the change is confirmed and made.
  await rw.getByLabel('gina writes').click();
  await page.getByRole('status').filter({ hasText: 'gina may now read and write Read-write.' }).waitFor();
  await rw.getByRole('button', { name: 'Show recent refusals' }).click();
  const refusals = rw.getByRole('table', { name: 'Recent refusals in Read-write' });
  await refusals.waitFor();
  t.match(await refusals.textContent(), /alice.*comparisons joined by AND in one observation expression must be about one SCO type/, 'a refusal and its reason');
  const phishing = page.locator('section[data-collection="phishing"]');
  await phishing.getByLabel('Highest TLP accepted').selectOption('amber');
  await phishing.getByRole('button', { name: 'Save settings' }).click();
  await page.getByRole('status').filter({ hasText: 'Settings of Phishing saved.' }).waitFor();
  await phishing.locator('.settings').filter({ hasText: 'at most TLP:AMBER' }).waitFor();
  t.match(await phishing.locator('.settings').textContent(), /at most TLP:AMBER is accepted/, 'the collection\'s settings changed');
  await page.screenshot({ path: join(SCREENSHOTS, 'collections.png'), fullPage: true });
  const objects = await httpCall({ port, path: `/main/collections/${C_RW}/objects/`, headers: { accept: TAXII, authorization: basicAuth('gina', key) } });
  t.equal(objects.status, 200, 'with the grant, gina pulls the collection');
  t.match(objects.text, String(seededIndicator['id']));

  // Who received the seeded indicator? gina, found in the browser, and in the CSV export.
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByLabel('Object id').fill(String(seededIndicator['id']));
  await page.getByRole('button', { name: 'Who received it?' }).click();
  const results = page.getByRole('region', { name: 'Audit results' });
  await results.getByRole('row').filter({ hasText: 'gina' }).first().waitFor();
  t.match(await results.textContent(), /gina.*pull.*objects/s, 'gina\'s pull is listed');
  const [download] = await Promise.all([page.waitForEvent('download'), results.getByRole('button', { name: 'Export as CSV' }).click()]);
  const csv = await readFile((await download.path()) ?? '', 'utf8');
  t.match(csv, /^at,actor,action,via,collection,object,version,outcome\r\n/, 'the CSV has its header');
  t.match(csv, new RegExp(`,gina,pull,objects,main/rw,${String(seededIndicator['id'])},`), 'and gina\'s pull of the indicator');
  await page.screenshot({ path: join(SCREENSHOTS, 'audit.png'), fullPage: true });

  await page.getByRole('link', { name: 'Partners' }).click();
  await page.locator('tr[data-partner="gina"]').getByRole('button', { name: 'Suspend' }).click();
  await page.getByRole('status').filter({ hasText: 'Partner gina is suspended.' }).waitFor();
  await page.locator('tr[data-partner="gina"]').filter({ hasText: 'suspended' }).waitFor();
  t.match(await page.locator('tr[data-partner="gina"]').textContent(), /suspended/);
  await page.screenshot({ path: join(SCREENSHOTS, 'partner-suspended.png'), fullPage: true });
  const refused = await httpCall({ port, path: '/taxii2/', headers: { accept: TAXII, authorization: basicAuth('gina', key) } });
  t.equal(refused.status, 401, 'the suspended partner\'s next request is refused');

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  t.same(problems, [], 'no script error and no CSP violation');
  await page.context().close();
});
