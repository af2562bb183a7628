/**
 * Issue 13: the Docker image. No Docker engine runs where the tests run, so this
 * reads the Dockerfile and rebuilds its final stage's layout in a directory
 * (the build stage's compiler command, then every COPY of the final stage), and
 * runs the image's CMD, HEALTHCHECK and command line there with the image's ENV:
 *
 * - a maintained Node.js LTS, pinned to an exact version, in both stages;
 *   production dependencies only; user node; the data directory a VOLUME;
 * - without TAXII_CONFIG the demo configuration is refused on 0.0.0.0, unless
 *   TAXII_DEMO=1;
 * - the HEALTHCHECK passes against the running server; `taxii-exchange` works.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../src/paths.js';
import { freePort } from '../helpers/throwaway-cluster.js';
import { serverCommand } from '../../bench/server-command.js';

const dockerfile = readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
// Instructions, continuation lines joined.
const instructions = dockerfile.replace(/\\\n\s*/g, ' ').split('\n').filter((l) => /^[A-Z]+ /.test(l));
const stages = instructions.reduce<string[][]>((all, line) => (line.startsWith('FROM ') ? [...all, [line]] : (all.at(-1)?.push(line), all)), []);
const final = stages.at(-1) ?? [];
const imageEnvironment: Record<string, string> = Object.fromEntries(
  [...(final.find((l) => l.startsWith('ENV ')) ?? '').matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
);
const args = (line: string | undefined) => (line === undefined ? [] : (JSON.parse(line.slice(line.indexOf('['))) as string[]));

t.test('the Dockerfile: a pinned LTS base, production dependencies, non-root, a volume, a health check', async (t) => {
  t.equal(stages.length, 2, 'multi-stage');
  for (const stage of stages) {
    const base = /^FROM node:(\d+)\.(\d+)\.(\d+)-bookworm-slim\b/.exec(stage[0] ?? '');
    t.ok(base, `${stage[0] ?? ''}: pinned to an exact Node.js version`);
    t.ok(Number(base?.[1]) >= 22 && Number(base?.[1]) % 2 === 0, 'an LTS line that is maintained (22 or later, even)');
  }
  t.ok(final.some((l) => /^RUN npm ci --omit=dev\b/.test(l)), 'production dependencies only');
  t.ok(final.includes('USER node'), 'runs as user node');
  const env = imageEnvironment;
  t.equal(env['TAXII_CONFIG'], undefined, 'no configuration chosen for the user');
  t.ok(final.includes(`VOLUME ${env['TAXII_DATA_DIR'] ?? '?'}`), 'the data directory is a volume');
  const start = serverCommand();
  t.same(args(final.find((l) => l.startsWith('CMD '))), ['node', ...start.nodeFlags, start.entry], 'the CMD is npm start\'s command line (package.json)');
  t.match(env, start.env, 'and has its environment');
  const check = args(final.find((l) => l.startsWith('HEALTHCHECK ')));
  t.same(check.slice(0, 1), ['node'], 'the health check runs node');
  t.match(readFileSync(join(PROJECT_ROOT, check[1] ?? 'missing'), 'utf8'), /\/healthz/, 'on a script that asks /healthz');
});

t.test('compose.yaml runs it with PostgreSQL, waiting for the database, no password in the file', async (t) => {
  const compose = parse(readFileSync(join(PROJECT_ROOT, 'compose.yaml'), 'utf8')) as {
    services: Record<string, { environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>; healthcheck?: unknown }>;
  };
  const app = compose.services['taxii-exchange'];
  t.match(app?.environment, { DATABASE_URL: /^postgres:\/\/postgres:\$\{POSTGRES_PASSWORD\}@postgres:5432\//, TAXII_CONFIG: /^\/config\// });
  t.same(app?.depends_on, { postgres: { condition: 'service_healthy' } });
  t.ok(compose.services['postgres']?.healthcheck, 'the database has a health check to wait for');
  t.match(compose.services['postgres']?.environment?.['POSTGRES_PASSWORD'], /^\$\{POSTGRES_PASSWORD/);
});

t.test('the image\'s layout, rebuilt: its CMD, HEALTHCHECK and command line', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'taxii-image-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  // The build stage's compiler run, into the layout.
  const tsc = spawnSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(PROJECT_ROOT, 'tsconfig.build.json'), '--outDir', join(root, 'dist')], { encoding: 'utf8' });
  t.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  // npm run build's second half: the web console, into the same dist/.
  const vite = spawnSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(PROJECT_ROOT, 'console/vite.config.ts'), '--outDir', join(root, 'dist/console'), '--logLevel', 'warn'], { encoding: 'utf8' });
  t.equal(vite.status, 0, vite.stdout + vite.stderr);
  t.ok(existsSync(join(root, 'dist/console/index.html')), 'the console is in the image');
  for (const line of final.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
    const [, ...sources] = line.split(/\s+/).slice(0, -1);
    for (const source of sources) cpSync(join(PROJECT_ROOT, source), join(root, source), { recursive: true });
  }
  // Dependencies are the project's own (the image installs the production ones of the same lock file).
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'));
  const data = join(root, 'data');
  const port = await freePort();
  const imageEnv = { PATH: process.env['PATH'] ?? '', ...imageEnvironment, TAXII_PORT: String(port), TAXII_DATA_DIR: data };
  const [command, ...cmdArgs] = args(final.find((l) => l.startsWith('CMD ')));
  t.equal(command, 'node');

  const refused = spawnSync(process.execPath, cmdArgs, { cwd: root, env: imageEnv, encoding: 'utf8', timeout: 60_000 });
  t.equal(refused.status, 1, 'without TAXII_CONFIG, the demo is refused on 0.0.0.0');
  t.match(refused.stderr, /demo configuration .* listens on loopback only, not 0\.0\.0\.0: set TAXII_CONFIG to your own configuration, or TAXII_DEMO=1/);

  const server = spawn(process.execPath, cmdArgs, { cwd: root, env: { ...imageEnv, TAXII_DEMO: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  server.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
  t.teardown(() => server.kill('SIGKILL'));
  const deadline = Date.now() + 90_000;
  while (!output.includes('taxii-exchange ready')) {
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`the image's CMD did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const healthcheck = args(final.find((l) => l.startsWith('HEALTHCHECK ')));
  const checked = spawnSync(process.execPath, healthcheck.slice(1), { cwd: root, env: imageEnv, encoding: 'utf8', timeout: 10_000 });
  t.equal(checked.status, 0, `the HEALTHCHECK passes ${checked.stderr}`);
  const cli = spawnSync(join(root, 'bin/taxii-exchange'), ['--help'], { cwd: root, env: imageEnv, encoding: 'utf8' });
  t.equal(cli.status, 0, 'the command line works in the image');
  t.match(cli.stdout, /apply-config/);
  server.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM stops it with exit code 0');
  const down = spawnSync(process.execPath, healthcheck.slice(1), { cwd: root, env: imageEnv, encoding: 'utf8', timeout: 10_000 });
  t.equal(down.status, 1, 'and the HEALTHCHECK then fails');
});
