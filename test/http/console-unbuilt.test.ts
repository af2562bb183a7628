/** The console configured but not built (issue 15): its routes say what to run, with a 503, rather than a bare 404 or a crash. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import t from 'tap';
import { consoleRoutes } from '../../src/http/console-static.js';
import { registerErrorHandling } from '../../src/http/errors.js';

t.test('a console that is not built answers 503 with what to run', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'taxii-console-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
  t.teardown(() => app.close());
  registerErrorHandling(app, 'Basic realm="taxii-exchange"');
  await consoleRoutes(app, empty);
  for (const url of ['/console/', '/console', '/console/assets/index-DpIn_6hZ.js']) {
    const res = await app.inject({ url });
    t.equal(res.statusCode, 503, url);
    t.match(res.json(), { description: /configured but not built: run npm run build/ }, url);
  }
});
