/**
 * Rules for marking definitions that need more than a schema (stix-2.1.md §3 common
 * properties, tlp.md §5): a marking definition does not mark itself, and TLP is defined
 * only by the published TLP marking definitions, exactly as published.
 */
import { canonicalJson } from './canonical.js';
import { TLP2_EXTENSION_ID, TLP_MARKINGS, nameOf, tlpLabel, tlpMarking } from './tlp.js';

type Obj = Record<string, unknown>;

/** stix-2.1.md §3 object_marking_refs, granular_markings: a marking definition MUST NOT reference itself. */
function selfReferenceFailure(o: Obj): string | undefined {
  const id = o['id'];
  const refs = o['object_marking_refs'];
  if (Array.isArray(refs) && refs.includes(id)) {
    return 'marking-definition.object_marking_refs: a marking definition must not mark itself (§3, no circular references)';
  }
  const granular = o['granular_markings'];
  if (!Array.isArray(granular)) return undefined;
  const i = granular.findIndex((m) => (m as Obj | null)?.['marking_ref'] === id);
  return i < 0 ? undefined : `marking-definition.granular_markings[${i}].marking_ref: a marking definition must not mark itself (§3, no circular references)`;
}

/** tlp.md §5.3: a TLP marking-definition id carries its published body; no other id may claim TLP (L11, L12, L15). */
function tlpDefinitionFailure(o: Obj): string | undefined {
  const id = String(o['id']);
  const tlp1 = o['definition_type'] === 'tlp' ? ((o['definition'] as Obj | null)?.['tlp'] as unknown) : undefined;
  const extensions = (o['extensions'] ?? {}) as Obj;
  const tlp2 = (extensions[TLP2_EXTENSION_ID] as Obj | undefined)?.['tlp_2_0'];
  const claimed = tlp1 ?? tlp2;
  const level = TLP_MARKINGS.get(id);
  if (level === undefined) {
    return claimed === undefined ? undefined : 'marking-definition.id: only the published TLP marking definitions may define TLP levels (L11, tlp.md §5)';
  }
  if (canonicalJson(o) === canonicalJson(tlpMarking(id))) return undefined;
  const expected = nameOf(level);
  const sameLevel = claimed === expected || (expected === 'clear' && claimed === 'white');
  return sameLevel
    ? `marking-definition: ${id} is the published ${tlpLabel(level)} marking; post it exactly as published or not at all (L11, L12, L15)`
    : `marking-definition: ${id} is the published ${tlpLabel(level)} marking and must define exactly that level (L11, L15)`;
}

export function markingDefinitionFailure(o: Obj, type: string): string | undefined {
  if (type !== 'marking-definition') return undefined;
  return selfReferenceFailure(o) ?? tlpDefinitionFailure(o);
}
