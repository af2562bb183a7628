/**
 * The STIX 2.1 validator behind ObjectValidator: common properties, the type's
 * JSON Schema, custom content under the strictness level, embedded reference
 * types, semantic rules, and STIX patterns. The first failure decides the
 * verdict; its message names the property path and the rule.
 */
import { checkCommon, placeholderId, placeholderVersion, Rejection } from './common-properties.js';
import { customPropertyFailure, customTypeFailure } from './custom-content.js';
import { deterministicScoId, needsRandomId } from './deterministic-ids.js';
import type { ObjectValidator, Strictness, Verdict } from './object-validator.js';
import { markingDefinitionFailure } from './marking-rules.js';
import { containedObjects } from './observable-container.js';
import { parsePattern } from './pattern/parser.js';
import { patternRuleFailure } from './pattern-rules.js';
import { referenceFailure } from './reference-rules.js';
import type { SchemaRegistry } from './schema-registry.js';
import { encodingFindings, extensionFailure, externalReferenceFailure, languageFailure, namingFailure, selectorFailure, timeFailure } from './semantic-rules.js';

type Obj = Record<string, unknown>;

function patternFailure(o: Obj, type: string, registry: SchemaRegistry, strictness: Strictness): string | undefined {
  if (type !== 'indicator' || o['pattern_type'] !== 'stix' || typeof o['pattern'] !== 'string') return undefined;
  const result = parsePattern(o['pattern']);
  if (!result.ok) return `indicator.pattern: ${result.error.message} (at position ${result.error.position}; SR9)`;
  const broken = patternRuleFailure(result.ast, registry, strictness);
  return broken === undefined ? undefined : `indicator.pattern: ${broken.message} (at position ${broken.position})`;
}

/** S28: the UUID of an SCO id with nothing to derive it from is random (version 4). */
function randomIdFailure(o: Obj, type: string, id: string): string | undefined {
  const version = id.charAt(type.length + 2 + 14);
  if (version === '4' || !needsRandomId(o, type)) return undefined;
  const why = type === 'process' ? 'a process has no ID contributing properties' : 'none of its ID contributing properties is present';
  return `${type}.id: ${why}, so its id is a random UUIDv4 (S28), not a version ${version} UUID`;
}

const VERSIONING = ['created', 'modified', 'created_by_ref', 'revoked'];

/**
 * SR3: created/modified are not applicable to SCOs, except on an SCO its producer
 * versions on purpose, which then must not carry the default-namespace UUIDv5 id.
 */
function withVersioning(known: ReadonlySet<string>, o: Obj, type: string, category: string | undefined): ReadonlySet<string> {
  if (category !== 'sco' || (o['created'] === undefined && o['modified'] === undefined)) return known;
  const deterministic = deterministicScoId(o, type);
  if (deterministic !== undefined && deterministic.toLowerCase() === String(o['id']).toLowerCase()) {
    throw new Rejection(`${type}.created: an SCO with the deterministic id of its contributing properties is not versioned and must not have created or modified (SR3)`);
  }
  return new Set([...known, ...VERSIONING]);
}

export function createStixValidator(registry: SchemaRegistry, strictness: Strictness): ObjectValidator {
  /** `contained`: an SCO of an observable container, whose id is a stand-in (observable-container.ts). */
  const check = (object: unknown, contained = false): Verdict => {
    const common = checkCommon(object, (t) => registry.categoryOf(t));
    const o = object as Obj;
    const { type } = common;
    const category = registry.categoryOf(type);
    const fallback = o['created'] !== undefined || o['modified'] !== undefined ? 'sdo' : 'sco';

    const fail = (message: string | undefined): void => {
      if (message !== undefined) throw new Rejection(message);
    };
    fail(customTypeFailure(o, type, strictness, category !== undefined));
    // Before the schema: these give the more precise message for what schemas also forbid.
    fail(namingFailure(o, type));
    const schema = registry.check(object, type, fallback);
    if (schema !== undefined) fail(`${type}${schema.path === '' ? '' : `.${schema.path}`}: ${schema.message}`);
    if (category === 'sco' && !contained) fail(randomIdFailure(o, type, common.id));
    const known = withVersioning(registry.propertiesOf(type) ?? registry.commonProperties[fallback], o, type, category);
    fail(customPropertyFailure(o, type, strictness, known, category === undefined));
    fail(timeFailure(o, type));
    fail(referenceFailure(o, type, (t) => registry.categoryOf(t)));
    fail(selectorFailure(o, type));
    fail(externalReferenceFailure(o, type));
    fail(languageFailure(o, type));
    const encodings = encodingFindings(o, type);
    fail(encodings.binary);
    // An extension-defined type may define extension keys of its own; strict mode still holds it to §3.2.
    if (category !== undefined || strictness === 'strict') fail(extensionFailure(o, type));
    fail(patternFailure(o, type, registry, strictness));
    fail(markingDefinitionFailure(o, type));
    if (type === 'observed-data' && !contained) fail(containerFailure(o['objects']));
    // A contained object's id is a stand-in: nothing to warn about.
    if (contained) return { ok: true, ...common, warnings: [] };

    const warnings: string[] = [];
    const expectedId = category === 'sco' ? deterministicScoId(o, type) : undefined;
    if (expectedId !== undefined && expectedId.toLowerCase() !== common.id.toLowerCase()) {
      const message = `${type}.id: not the deterministic id of its contributing properties (expected ${expectedId}; S27)`;
      if (strictness === 'strict') fail(message);
      warnings.push(message);
    }
    const hexCase = encodings.upperCaseHex;
    if (hexCase !== undefined) {
      if (strictness === 'strict') fail(hexCase);
      warnings.push(hexCase);
    }
    return { ok: true, ...common, warnings };
  };

  /** S16: each object of the deprecated container is held to its own type's rules. */
  const containerFailure = (container: unknown): string | undefined => {
    if (container === null || typeof container !== 'object' || Array.isArray(container)) return undefined;
    const contained = containedObjects(container as Obj);
    if (typeof contained === 'string') return contained;
    for (const { at, object } of contained) {
      const type = (object as Obj | null)?.['type'];
      const category = typeof type === 'string' ? registry.categoryOf(type) : undefined;
      if (category !== undefined && category !== 'sco') return `${at}.type: "${String(type)}" is not an SCO type; the container holds cyber-observable objects (S16)`;
      try {
        check(object, true);
      } catch (err) {
        if (!(err instanceof Rejection)) throw err;
        return `${at}: ${err.message}`;
      }
    }
    return undefined;
  };

  return {
    requiredProperties: (type) => registry.requiredOf(type),
    validate(object, index) {
      try {
        return check(object);
      } catch (err) {
        if (!(err instanceof Rejection)) throw err;
        return { ok: false, id: placeholderId(object, index), version: placeholderVersion(object), message: err.message };
      }
    },
  };
}
