/**
 * One error catalogue (issue 11): every error the server can answer is declared in
 * src/errors.ts, with its code, status and title. The list is pinned here, so a new
 * or changed code is a visible change of this test; and no other module spells an
 * error code or builds a TaxiiError from anything but the catalogue.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Errors } from '../../src/errors.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The code without comments, so prose may name an error code. */
function code(path: string): string {
  return readFileSync(path, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

const others = sourceFiles(SRC).filter((path) => relative(SRC, path) !== 'errors.ts');

t.test('the catalogue: every error code, status and title', async (t) => {
  const listed = Object.entries(Errors).map(([name, kind]) => `${name} ${kind.status} ${kind.code} ${kind.title}`);
  t.same(listed, [
    'BAD_PARAMETER 400 TAXII_ERR_REQUEST_BAD_PARAMETER Invalid query parameter',
    'BAD_CURSOR 400 TAXII_ERR_REQUEST_BAD_CURSOR Invalid next token',
    'BAD_JSON 400 TAXII_ERR_REQUEST_BAD_JSON Request body is not valid JSON',
    'MALFORMED 400 TAXII_ERR_REQUEST_MALFORMED Bad request',
    'UNAUTHENTICATED 401 TAXII_ERR_AUTH_UNAUTHENTICATED Authentication required',
    'FORBIDDEN 403 TAXII_ERR_AUTH_FORBIDDEN Forbidden',
    'NOT_FOUND 404 TAXII_ERR_RESOURCE_NOT_FOUND Not found',
    'NOT_ACCEPTABLE 406 TAXII_ERR_MEDIA_NOT_ACCEPTABLE Not acceptable',
    'TIMEOUT 408 TAXII_ERR_REQUEST_TIMEOUT Request timeout',
    'CONFLICT 409 TAXII_ERR_RESOURCE_CONFLICT Conflict',
    'TOO_LARGE 413 TAXII_ERR_REQUEST_TOO_LARGE Request body too large',
    'UNSUPPORTED_MEDIA_TYPE 415 TAXII_ERR_MEDIA_UNSUPPORTED Unsupported media type',
    'EXPECTATION_FAILED 417 TAXII_ERR_REQUEST_EXPECTATION_FAILED Expectation failed',
    'UNPROCESSABLE 422 TAXII_ERR_CONTENT_UNPROCESSABLE Unprocessable content',
    'RATE_LIMITED 429 TAXII_ERR_REQUEST_RATE_LIMITED Too many requests',
    'AUTH_THROTTLED 429 TAXII_ERR_AUTH_THROTTLED Too many failed authentications',
    'HEADERS_TOO_LARGE 431 TAXII_ERR_REQUEST_HEADERS_TOO_LARGE Request header fields too large',
    'INTERNAL 500 TAXII_ERR_SERVER_INTERNAL Internal server error',
    'UNAVAILABLE 503 TAXII_ERR_SERVER_UNAVAILABLE Service unavailable',
  ]);
  const codes = Object.values(Errors).map((kind) => kind.code);
  t.equal(new Set(codes).size, codes.length, 'codes are unique');
});

t.test('no other module spells an error code or builds a TaxiiError of its own', async (t) => {
  for (const path of others) {
    const text = code(path);
    const where = relative(SRC, path);
    t.notMatch(text, /['"`]TAXII_ERR_/, `${where}: no error code literal`);
    t.notMatch(text, /new TaxiiError\(/, `${where}: errors come from taxiiError(name, …)`);
  }
});

t.test('every catalogue entry is answered somewhere', async (t) => {
  const all = others.map(code).join('\n');
  for (const name of Object.keys(Errors)) t.match(all, new RegExp(`['"]${name}['"]`), `${name} is used`);
});
