/**
 * Granular-marking redaction (issue 4, LR4 option b): properties marked above the
 * reader's clearance are removed from what that reader receives. Redaction works
 * on whole top-level properties (a selector deep inside one removes all of it),
 * selectors naming removed content are dropped from the granular markings, and the object says what
 * was removed in REDACTED_PROPERTY. Versions whose required properties would be
 * removed are withheld instead, by the read query.
 */
import { TLP_MARKINGS, type TlpLevel } from '../stix/tlp.js';

export const REDACTED_PROPERTY = 'x_taxii_exchange_redacted';

type Obj = Record<string, unknown>;

const topLevel = (selector: unknown): string | undefined => (typeof selector === 'string' ? selector.split('.')[0] : undefined);

export function redact(raw: string, clearance: TlpLevel): string {
  const o = JSON.parse(raw) as Obj;
  const markings = Array.isArray(o['granular_markings']) ? (o['granular_markings'] as Obj[]) : [];
  const removed = new Set<string>();
  for (const m of markings) {
    const level = typeof m['marking_ref'] === 'string' ? TLP_MARKINGS.get(m['marking_ref']) : undefined;
    if (level === undefined || level <= clearance) continue;
    for (const s of Array.isArray(m['selectors']) ? m['selectors'] : []) {
      const name = topLevel(s);
      if (name !== undefined) removed.add(name);
    }
  }
  if (removed.size === 0) return raw;
  for (const name of removed) delete o[name];
  // A marking keeps labelling whatever of its content is still there.
  const kept = markings.flatMap((m) => {
    const selectors = (Array.isArray(m['selectors']) ? (m['selectors'] as unknown[]) : []).filter((s) => !removed.has(topLevel(s) ?? ''));
    return selectors.length === 0 ? [] : [{ ...m, selectors }];
  });
  if (kept.length > 0) o['granular_markings'] = kept;
  else delete o['granular_markings'];
  o[REDACTED_PROPERTY] = [...removed].sort();
  return JSON.stringify(o);
}
