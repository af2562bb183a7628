/**
 * What a STIX pattern must mean, beyond parsing (spec §9, digest §19): every object path
 * names an SCO type and a property that type has, and the comparisons joined by AND in one
 * observation expression are about one SCO type (joining different types needs OR, §9.5).
 *
 * Types and properties (decided, README "Validation"): a type the specification defines
 * must be an SCO type and the first property of the path one of its properties, or a
 * legacy custom `x_` property; at `permissive` any property passes. A type the
 * specification does not define is taken as custom (an extension-defined SCO may have any
 * name) and must be a well-formed type name; its properties are its own.
 */
import { isTypeName } from './common-properties.js';
import type { Strictness } from './object-validator.js';
import type { ComparisonExpression, ObjectPath, ObservationNode, PatternNode } from './pattern/parser.js';
import type { Category } from './schema-registry.js';

export interface PatternVocabulary {
  categoryOf(type: string): Category | undefined;
  propertiesOf(type: string): ReadonlySet<string> | undefined;
}

export interface PatternRuleFailure {
  readonly position: number;
  readonly message: string;
}

function pathFailure(path: ObjectPath, vocabulary: PatternVocabulary, strictness: Strictness): PatternRuleFailure | undefined {
  const { objectType: type, start } = path;
  const category = vocabulary.categoryOf(type);
  if (category === undefined) {
    if (isTypeName(type)) return undefined;
    return { position: start, message: `'${type}' is not an SCO type: STIX types are 3 to 250 lowercase letters, digits and hyphens (§9.7, §3.1)` };
  }
  if (category !== 'sco') return { position: start, message: `'${type}' is not an SCO type: patterns compare properties of cyber-observable objects (§9.7)` };
  const first = path.steps[0];
  if (first?.kind !== 'property' || strictness === 'permissive') return undefined;
  if (vocabulary.propertiesOf(type)?.has(first.name) === true || first.name.startsWith('x_')) return undefined;
  return { position: start, message: `${type} has no property '${first.name}' (custom properties in a pattern start with x_; §9.7)` };
}

/** The SCO types of the comparisons below a comparison expression, and the first comparison of each. */
function typesBelow(expression: ComparisonExpression): Map<string, ObjectPath> {
  const found = new Map<string, ObjectPath>();
  const stack: ComparisonExpression[] = [expression];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.kind === 'boolean') for (let i = node.operands.length - 1; i >= 0; i--) stack.push(node.operands[i] as ComparisonExpression);
    else if (!found.has(node.path.objectType)) found.set(node.path.objectType, node.path);
  }
  return found;
}

function comparisonFailure(expression: ComparisonExpression, vocabulary: PatternVocabulary, strictness: Strictness): PatternRuleFailure | undefined {
  const stack: ComparisonExpression[] = [expression];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.kind !== 'boolean') {
      const failure = pathFailure(node.path, vocabulary, strictness);
      if (failure !== undefined) return failure;
      continue;
    }
    if (node.operator === 'AND') {
      const [first, second] = [...typesBelow(node).values()];
      if (first !== undefined && second !== undefined) {
        return {
          position: second.start,
          message: `comparisons joined by AND in one observation expression must be about one SCO type, here ${first.objectType} and ${second.objectType}: join them with OR, or write [${first.objectType}:…] AND [${second.objectType}:…] (§9.5)`,
        };
      }
    }
    for (let i = node.operands.length - 1; i >= 0; i--) stack.push(node.operands[i] as ComparisonExpression);
  }
  return undefined;
}

/** The first rule a parsed pattern breaks, in source order; iterative, so long chains cost no stack. */
export function patternRuleFailure(ast: PatternNode, vocabulary: PatternVocabulary, strictness: Strictness): PatternRuleFailure | undefined {
  const stack: ObservationNode[] = [ast];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.kind === 'observation') {
      const failure = comparisonFailure(node.comparison, vocabulary, strictness);
      if (failure !== undefined) return failure;
    } else if (node.kind === 'qualified') {
      stack.push(node.expression);
    } else {
      for (let i = node.operands.length - 1; i >= 0; i--) stack.push(node.operands[i] as ObservationNode);
    }
  }
  return undefined;
}
