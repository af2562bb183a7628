/**
 * The OpenAPI contract (issue 13): every response a test receives from the app
 * must be what openapi.yaml says for its path, method and status: a documented
 * status (or one the document's introduction allows on any endpoint), its
 * content type, its required headers, and a body valid against its schema.
 * test/helpers/app.ts checks every `inject` of the apps it builds, and
 * test/helpers/http-client.ts every answer a test receives over a socket.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../src/paths.js';

interface Response {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly rawPayload: Buffer;
}

interface MediaType {
  readonly schema?: unknown;
}
interface HeaderSpec {
  readonly required?: boolean;
  readonly schema?: unknown;
  readonly $ref?: string;
}
interface ResponseSpec {
  readonly headers?: Record<string, HeaderSpec>;
  readonly content?: Record<string, MediaType>;
  readonly $ref?: string;
}
interface Operation {
  readonly responses: Record<string, ResponseSpec>;
}
interface Document {
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { readonly responses: Record<string, ResponseSpec>; readonly headers: Record<string, HeaderSpec> };
}

export const OPENAPI = parse(readFileSync(`${PROJECT_ROOT}/openapi.yaml`, 'utf8')) as Document;

/** Statuses the introduction allows on any endpoint, with an error resource, whether listed or not. */
const ANY_ENDPOINT = new Set([400, 401, 404, 406, 408, 413, 415, 429, 431, 500, 503]);

const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: false, validateSchema: false });
ajv.addSchema(OPENAPI as object, 'openapi');
const compiled = new Map<string, ValidateFunction>();
const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
function validatorAt(path: string): ValidateFunction {
  let v = compiled.get(path);
  if (v === undefined) {
    v = ajv.compile({ $ref: `openapi#/${path}` });
    compiled.set(path, v);
  }
  return v;
}

/** The document's paths as patterns, the most literal first (`/taxii2/` before `/{root}/`). */
const PATHS = Object.keys(OPENAPI.paths)
  .map((template) => ({
    template,
    params: (template.match(/\{/g) ?? []).length,
    pattern: new RegExp(`^${template.replace(/\/$/, '').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
  }))
  .sort((a, b) => a.params - b.params);

export function templateOf(url: string): string | undefined {
  const path = url.split('?')[0] ?? '';
  return PATHS.find((p) => p.pattern.test(path))?.template;
}

function resolve(spec: ResponseSpec): { spec: ResponseSpec; at: string } | undefined {
  if (spec.$ref === undefined) return { spec, at: '' };
  const name = spec.$ref.replace('#/components/responses/', '');
  const found = OPENAPI.components.responses[name];
  return found === undefined ? undefined : { spec: found, at: pointer('components', 'responses', name) };
}

const header = (r: Response, name: string) => {
  const value = r.headers[name];
  return Array.isArray(value) ? value.join(', ') : value === undefined ? undefined : String(value);
};

function bodyOf(r: Response): Buffer {
  const coding = header(r, 'content-encoding');
  if (coding === 'gzip') return gunzipSync(r.rawPayload);
  if (coding === 'br') return brotliDecompressSync(r.rawPayload);
  return r.rawPayload;
}

/**
 * Whether a response's Content-Type is the documented one: exactly (TAXII's
 * `application/taxii+json;version=2.1` is a contract to the letter), or, for a
 * documented type without parameters, the same type with any (`; charset=utf-8`).
 */
function sameMediaType(documented: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  if (documented.toLowerCase() === actual.toLowerCase()) return true;
  return !documented.includes(';') && documented.toLowerCase() === (actual.split(';')[0] ?? '').trim().toLowerCase();
}

/** What is wrong with this response by openapi.yaml; empty when nothing is. */
export function contractProblems(method: string, url: string, r: Response): string[] {
  const where = `${method} ${url.split('?')[0] ?? ''} → ${r.statusCode}`;
  const template = templateOf(url);
  const operation = template === undefined ? undefined : OPENAPI.paths[template]?.[method === 'HEAD' ? 'get' : method.toLowerCase()];
  let responsePointer: string;
  let spec: ResponseSpec | undefined;
  const listed = operation?.responses[String(r.statusCode)];
  if (operation !== undefined && template !== undefined && listed !== undefined) {
    const resolved = resolve(listed);
    if (resolved === undefined) return [`${where}: unresolvable ${listed.$ref ?? ''}`];
    spec = resolved.spec;
    responsePointer = resolved.at === '' ? pointer('paths', template, method === 'HEAD' ? 'get' : method.toLowerCase(), 'responses', String(r.statusCode)) : resolved.at;
  } else if (ANY_ENDPOINT.has(r.statusCode) || operation === undefined) {
    // An undocumented path or method, or a status any endpoint may give: an error resource.
    if (r.statusCode < 400) return [`${where}: a success on ${template === undefined ? 'a path' : 'a method'} openapi.yaml does not document`];
    // TAXII paths answer TAXII's media type. The admin API and operations paths answer JSON, or,
    // where they are not configured (no such route), TAXII's not-found; unknown paths either.
    const taxiiOnly = template !== undefined && (template.startsWith('/taxii2/') || template.startsWith('/{root}/'));
    spec = { content: { 'application/taxii+json;version=2.1': {}, ...(!taxiiOnly && { 'application/json': {} }) } };
    responsePointer = '';
  } else {
    return [`${where}: status not documented for ${method} ${template}`];
  }
  const problems: string[] = [];
  for (const [name, given] of Object.entries(spec.headers ?? {})) {
    const refName = given.$ref?.replace('#/components/headers/', '');
    const h = refName === undefined ? given : OPENAPI.components.headers[refName] ?? given;
    const value = header(r, name.toLowerCase());
    if (value === undefined) {
      if (h.required === true) problems.push(`${where}: header ${name} missing`);
    } else if (refName !== undefined && h.schema !== undefined) {
      const validate = validatorAt(`${pointer('components', 'headers', refName)}/schema`);
      if (!validate(value)) problems.push(`${where}: header ${name}: ${value} ${ajv.errorsText(validate.errors)}`);
    }
  }
  const type = header(r, 'content-type');
  const content = spec.content ?? {};
  const mediaType = Object.keys(content).find((m) => sameMediaType(m, type));
  if (Object.keys(content).length > 0 && mediaType === undefined) {
    problems.push(`${where}: content type ${type ?? '(none)'} is not one of ${Object.keys(content).join(', ')}`);
    return problems;
  }
  const body = method === 'HEAD' ? Buffer.alloc(0) : bodyOf(r);
  if (mediaType === undefined || body.length === 0 || (responsePointer !== '' && content[mediaType]?.schema === undefined)) return problems;
  if (!/json/.test(mediaType)) return problems;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return [...problems, `${where}: body is not JSON`];
  }
  const validate = responsePointer === ''
    ? validatorAt(pointer('components', 'schemas', 'error'))
    : validatorAt(`${responsePointer}/${pointer('content', mediaType, 'schema')}`);
  if (!validate(parsed)) problems.push(`${where}: body ${ajv.errorsText(validate.errors)}`);
  return problems;
}

/**
 * Fails the test when a response breaks openapi.yaml, or, with
 * OPENAPI_CONTRACT_REPORT=<file>, appends what is wrong to that file instead
 * (to survey a change that breaks many at once).
 */
export function holdToContract(method: string, path: string, response: Response): void {
  const problems = contractProblems(method.toUpperCase(), path, response);
  if (problems.length === 0) return;
  const report = process.env['OPENAPI_CONTRACT_REPORT'];
  if (report !== undefined) appendFileSync(report, `${problems.join('\n')}\n`);
  else throw new Error(`the response breaks openapi.yaml:\n${problems.join('\n')}`);
}
