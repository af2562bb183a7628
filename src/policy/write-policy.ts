/**
 * Write-side sharing policy and the facts every stored version carries for
 * read-time filtering (issue 4). Violations are per-object failures.
 */
import type { CollectionPolicy } from '../config/types.js';
import { recipientsOf, type Recipients } from './recipients.js';
import { TLP_MARKINGS, mostRestrictive, RED, tlpLabel, type TlpLevel } from '../stix/tlp.js';

type Obj = Record<string, unknown>;

export interface WriteFacts {
  readonly tlpLevel: TlpLevel | null;
  readonly granularLevel: TlpLevel | null;
  readonly granularRequiredLevel: TlpLevel | null;
  readonly recipientPartners: readonly string[] | null;
  readonly recipientCommunities: readonly string[] | null;
  readonly refs: readonly string[] | null;
}

export interface WriteContext {
  readonly policy: CollectionPolicy;
  readonly submitterIdentity: string | null;
  /**
   * Recipients marking by id: stored in this collection and visible to the poster, else
   * defined in the same envelope.
   */
  readonly recipientsMarking: (id: string) => Recipients | undefined;
  readonly requiredProperties: (type: string) => ReadonlySet<string>;
}


function granularLevels(o: Obj, required: ReadonlySet<string>): { all: TlpLevel | null; required: TlpLevel | null } {
  let all: TlpLevel | null = null;
  let req: TlpLevel | null = null;
  const markings = o['granular_markings'];
  if (!Array.isArray(markings)) return { all, required: req };
  for (const m of markings as Obj[]) {
    const level = typeof m?.['marking_ref'] === 'string' ? TLP_MARKINGS.get(m['marking_ref']) : undefined;
    if (level === undefined) continue;
    if (all === null || level > all) all = level;
    const selectors = Array.isArray(m['selectors']) ? (m['selectors'] as unknown[]) : [];
    // Redacting removes whole top-level properties, so a selector below a required one counts too.
    if (selectors.some((s) => typeof s === 'string' && required.has(s.split('.')[0] as string))) {
      if (req === null || level > req) req = level;
    }
  }
  return { all, required: req };
}

function refsOf(o: Obj, type: string): string[] | null {
  const names = type === 'relationship' ? ['source_ref', 'target_ref'] : type === 'sighting' ? ['sighting_of_ref'] : [];
  const refs = names.map((n) => o[n]).filter((v): v is string => typeof v === 'string');
  return refs.length === 0 ? null : refs;
}

export function assessWrite(o: Obj, type: string, ctx: WriteContext): WriteFacts | string {
  const { policy } = ctx;
  if (type === 'marking-definition') {
    const recipients = recipientsOf(o);
    if (typeof recipients === 'string') return recipients;
  }

  const markingRefs = Array.isArray(o['object_marking_refs']) ? (o['object_marking_refs'] as unknown[]) : [];
  const tlpLevel = mostRestrictive(markingRefs) ?? null;
  const named = markingRefs.flatMap((id) => {
    const r = typeof id === 'string' ? ctx.recipientsMarking(id) : undefined;
    return r === undefined ? [] : [r];
  });
  if (named.length > 1) return `${type}.object_marking_refs: refer to at most one recipients marking`;
  const recipients = named[0];

  if (type !== 'marking-definition') {
    if (policy.requireMarking && tlpLevel === null) {
      return `${type}.object_marking_refs: this collection requires a TLP marking on every object`;
    }
    const effective = tlpLevel ?? policy.defaultTlp;
    if (effective > policy.maxTlp) {
      return `${type}.object_marking_refs: ${tlpLabel(effective)} exceeds this collection's maximum, ${tlpLabel(policy.maxTlp)}`;
    }
    if (effective === RED && recipients === undefined) {
      return `${type}.object_marking_refs: TLP:RED content needs a recipients marking (${'extension-definition--b4f69bed-1fee-46d6-9ab7-274a05203997'}) naming who may receive it`;
    }
    if (policy.requireCreatorIdentity && (o['created'] !== undefined || o['created_by_ref'] !== undefined)) {
      if (ctx.submitterIdentity === null) return `${type}.created_by_ref: this collection requires your identity, but none is configured for you`;
      if (o['created_by_ref'] !== ctx.submitterIdentity) {
        return `${type}.created_by_ref: must be your identity ${ctx.submitterIdentity} in this collection`;
      }
    }
  }

  const granular = granularLevels(o, ctx.requiredProperties(type));
  return {
    tlpLevel,
    granularLevel: granular.all,
    granularRequiredLevel: granular.required,
    recipientPartners: recipients === undefined ? null : recipients.partners,
    recipientCommunities: recipients === undefined ? null : recipients.communities,
    refs: refsOf(o, type),
  };
}

/** Facts of an object with no markings, recipients or references. */
export const UNMARKED: WriteFacts = Object.freeze({
  tlpLevel: null,
  granularLevel: null,
  granularRequiredLevel: null,
  recipientPartners: null,
  recipientCommunities: null,
  refs: null,
});
