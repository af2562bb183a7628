/**
 * The project's STIX 2.1 JSON Schemas (schemas/stix/**), compiled once into one
 * ajv instance. Objects are checked against the schema of their own `type`
 * (never a bundle-level oneOf: stix-2.1.md C12); custom types fall back to the
 * common properties of their category. ajv never changes the object: no
 * removeAdditional, useDefaults or coerceTypes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { schemaPath } from '../paths.js';
import { parseTimestamp } from './timestamps.js';

export const STIX_SCHEMA_BASE = 'https://taxii-exchange.example/schemas/stix/';

export type Category = 'sdo' | 'sro' | 'sco' | 'meta';

const CATEGORY_DIRS: Record<string, Category> = { sdos: 'sdo', sros: 'sro', scos: 'sco', meta: 'meta' };

export interface SchemaFailure {
  /** Dotted path below the object, e.g. `external_references[0].source_name` ('' for the object itself). */
  readonly path: string;
  readonly message: string;
}

interface TypeEntry {
  readonly category: Category;
  readonly validate: ValidateFunction;
  readonly properties: ReadonlySet<string>;
  readonly required: ReadonlySet<string>;
}

export interface SchemaRegistry {
  /** Top-level properties the type's schema requires (common ones included); empty for custom types. */
  requiredOf(type: string): ReadonlySet<string>;
  /** Category of a type defined by STIX 2.1, undefined for custom types. */
  categoryOf(type: string): Category | undefined;
  /** Top-level property names the schema of this type defines (common ones included). */
  propertiesOf(type: string): ReadonlySet<string> | undefined;
  /** Validates against the type's schema, or the common schema of `fallback` for custom types. */
  check(object: unknown, type: string, fallback: 'sdo' | 'sco'): SchemaFailure | undefined;
  readonly commonProperties: { readonly sdo: ReadonlySet<string>; readonly sco: ReadonlySet<string> };
}

function listJsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return listJsonFiles(full);
    return entry.name.endsWith('.json') ? [full] : [];
  });
}

type JsonSchema = { $id?: string; $ref?: string; allOf?: JsonSchema[]; properties?: Record<string, unknown>; required?: string[] };

/** `a/b/0/c` → `a.b[0].c` */
export function dottedPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

function describe(error: ErrorObject): SchemaFailure {
  const path = dottedPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const named = /\$defs\/([a-z0-9-]+)\/[a-zA-Z]+$/.exec(error.schemaPath)?.[1];
  switch (error.keyword) {
    case 'required':
      return { path: path === '' ? String(params['missingProperty']) : `${path}.${String(params['missingProperty'])}`, message: 'required property is missing' };
    case 'additionalProperties':
      return { path, message: `unknown property "${String(params['additionalProperty'])}"` };
    case 'const':
      return { path, message: `must be ${JSON.stringify(params['allowedValue'])}` };
    case 'enum':
      return { path, message: `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'format':
      if (params['format'] === 'stix-timestamp') return { path, message: 'is not a valid timestamp: a real date and time in RFC 3339 UTC form, YYYY-MM-DDTHH:MM:SS[.s]Z (S31)' };
      return { path, message: named !== undefined ? `is not a valid ${named}` : `has the wrong form (${error.message ?? 'format'})` };
    case 'pattern':
      return { path, message: named !== undefined ? `is not a valid ${named}` : `has the wrong form (${error.message ?? 'pattern'})` };
    case 'minItems':
      return { path, message: params['limit'] === 1 ? 'must not be an empty list' : (error.message ?? 'too few items') };
    case 'minProperties':
      return { path, message: params['limit'] === 1 ? 'must not be empty' : (error.message ?? 'too few properties') };
    case 'not':
      return { path, message: 'has a property that is not allowed here' };
    default:
      return { path, message: error.message ?? error.keyword };
  }
}

/** "a, b or c and d": the alternatives of an anyOf or oneOf whose branches each require properties. */
function alternativesOf(choice: ErrorObject): string | undefined {
  const branches = choice.schema as unknown;
  if (!Array.isArray(branches)) return undefined;
  const names = branches.map((b) => {
    const required = (b as { required?: unknown } | null)?.required;
    return Array.isArray(required) && Object.keys(b as object).length === 1 ? required.map(String).join(' and ') : undefined;
  });
  if (names.some((n) => n === undefined)) return undefined;
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''}`;
}

/**
 * The failure to report. A rule "one of several properties" fails first on its first
 * branch's missing property: report the rule, not that one property (issue 14).
 */
function describeErrors(errors: readonly ErrorObject[]): SchemaFailure {
  const first = errors[0];
  if (first === undefined) return { path: '', message: 'does not match its schema' };
  const choice = errors.find(
    (e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf') && (e === first || first.schemaPath.startsWith(`${e.schemaPath}/`)),
  );
  const alternatives = choice === undefined ? undefined : alternativesOf(choice);
  if (choice === undefined || alternatives === undefined) return describe(first);
  const path = dottedPath(choice.instancePath);
  const passing = (choice.params as { passingSchemas?: unknown }).passingSchemas;
  if (choice.keyword === 'oneOf' && Array.isArray(passing)) return { path, message: `must have only one of ${alternatives}` };
  return { path, message: choice.keyword === 'oneOf' ? `needs exactly one of ${alternatives}` : `needs at least one of ${alternatives}` };
}

const NONE: ReadonlySet<string> = new Set();

/** A schema with every `additionalProperties: false` removed, at any depth: structures open to unknown properties. */
function opened(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(opened);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).filter(([key, value]) => !(key === 'additionalProperties' && value === false)).map(([key, value]) => [key, opened(value)]),
  );
}

export interface RegistryOptions {
  /**
   * Nested structures (extensions, alternate data streams, registry values, …) accept
   * properties their schema does not name, as the permissive level promises; without
   * it they accept only legacy `x_` ones.
   */
  readonly openStructures?: boolean;
}

export function createSchemaRegistry(root = schemaPath('stix'), options: RegistryOptions = {}): SchemaRegistry {
  // verbose: an error carries its schema, so that a one-of-several rule can be named whole.
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: false, unicodeRegExp: true, verbose: true });
  // Every timestamp the schemas define, nested ones included, is a real calendar date (S31).
  ajv.addFormat('stix-timestamp', { type: 'string', validate: (text: string) => parseTimestamp(text) !== undefined });
  const read = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
  const files = listJsonFiles(root).map((file) => ({ file, schema: (options.openStructures === true ? opened(read(file)) : read(file)) as JsonSchema }));
  for (const { schema } of files) ajv.addSchema(schema as object);

  const schemaById = new Map(files.map(({ schema }) => [schema.$id, schema] as const));
  /** Names listed under `key` in the schema and in the schemas its top-level allOf refers to. */
  const namesOf = (key: 'properties' | 'required', schema: JsonSchema, base: string): Set<string> => {
    const own = key === 'properties' ? Object.keys(schema.properties ?? {}) : (schema.required ?? []);
    const names = new Set(own);
    for (const part of schema.allOf ?? []) {
      const target = part.$ref === undefined ? part : schemaById.get(new URL(part.$ref, base).toString());
      if (target !== undefined) for (const n of namesOf(key, target, target.$id ?? base)) names.add(n);
    }
    return names;
  };
  const propertiesOfSchema = (schema: JsonSchema, base: string) => namesOf('properties', schema, base);

  const compile = (id: string): ValidateFunction => {
    const fn = ajv.getSchema(id);
    if (fn === undefined) throw new Error(`STIX schema ${id} is missing`);
    return fn;
  };

  const types = new Map<string, TypeEntry>();
  for (const { file, schema } of files) {
    const [dir, name] = relative(root, file).split('/');
    const category = CATEGORY_DIRS[dir ?? ''];
    if (category === undefined || name === undefined || schema.$id === undefined) continue;
    const type = name.replace(/\.json$/, '');
    types.set(type, {
      category,
      validate: compile(schema.$id),
      properties: propertiesOfSchema(schema, schema.$id),
      required: namesOf('required', schema, schema.$id),
    });
  }

  const commonSchema = (name: string) => {
    const id = `${STIX_SCHEMA_BASE}common/${name}.json`;
    return { validate: compile(id), properties: propertiesOfSchema(schemaById.get(id) as JsonSchema, id) };
  };
  const common = { sdo: commonSchema('sdo-common'), sco: commonSchema('sco-common') };

  return {
    categoryOf: (type) => types.get(type)?.category,
    requiredOf: (type) => types.get(type)?.required ?? NONE,
    propertiesOf: (type) => types.get(type)?.properties,
    commonProperties: { sdo: common.sdo.properties, sco: common.sco.properties },
    check(object, type, fallback) {
      const validate = types.get(type)?.validate ?? common[fallback].validate;
      if (validate(object)) return undefined;
      return describeErrors(validate.errors ?? []);
    },
  };
}
