/**
 * The web console's files (issue 15), built by `npm run build` into dist/console/,
 * served under /console/ when `admin_api.console` is configured. The page is never
 * cached (a new release is seen at once); the files it loads have content-hashed
 * names and are cached for a year. A strict Content-Security-Policy allows scripts,
 * styles and requests from this server only, and no inline script at all; the page
 * may not be framed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PROJECT_ROOT } from '../paths.js';
import { taxiiError } from '../errors.js';
import { CONSOLE_PREFIX, OPERATIONS_ROUTE } from './surfaces.js';

export const CONSOLE_DIR = join(PROJECT_ROOT, 'dist', 'console');

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const YEAR_SECONDS = 365 * 24 * 3600;

/** What Vite names a built file: name, content hash, extension. */
const HASHED_ASSET = /^[A-Za-z0-9_.-]+-[A-Za-z0-9_-]{8,}\.(?:js|css|svg|png|woff2)$/;

export async function consoleRoutes(app: FastifyInstance, dir = CONSOLE_DIR): Promise<void> {
  await app.register(async (scope) => {
    // Not TAXII: no partner authentication, no TAXII media types (see surfaces.ts).
    scope.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object | undefined), ...OPERATIONS_ROUTE };
    });
    if (!existsSync(join(dir, 'index.html'))) {
      const unbuilt = async () => {
        throw taxiiError('UNAVAILABLE', 'The web console is configured but not built: run npm run build (it builds the console into dist/console/).');
      };
      // The router ignores trailing slashes: /console/ is /console too.
      for (const path of [`${CONSOLE_PREFIX}/`, `${CONSOLE_PREFIX}/assets/:file`]) scope.get(path, unbuilt);
      return;
    }
    // Only sendFile, which keeps every path inside the directory: the routes are named below.
    await scope.register(fastifyStatic, { root: dir, serve: false, cacheControl: false, etag: true, lastModified: false });
    const secured = (reply: FastifyReply, cacheControl: string): FastifyReply =>
      reply
        .header('cache-control', cacheControl)
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY');
    scope.get(`${CONSOLE_PREFIX}/`, async (_request, reply) => secured(reply, 'no-cache').sendFile('index.html'));
    scope.get<{ Params: { file: string } }>(`${CONSOLE_PREFIX}/assets/:file`, async (request, reply) => {
      if (!HASHED_ASSET.test(request.params.file)) throw taxiiError('NOT_FOUND', `No console file ${request.params.file}.`);
      return secured(reply, `public, max-age=${YEAR_SECONDS}, immutable`).sendFile(`assets/${request.params.file}`);
    });
  });
}
