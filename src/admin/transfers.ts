/**
 * Bulk import and export of a collection as one partner (issue 12): `import`
 * stores objects exactly as a POST by that partner would (ingest.ts: the same
 * validation, write policy and storage), `export` gives exactly what a GET by that
 * partner would (the same read scope). Both work in batches, so neither holds a
 * collection or a file whole.
 */
import { taxiiError, TaxiiError } from '../errors.js';
import { ALREADY_PRESENT, batchesOf, envelopeOfTexts, ingestEnvelope } from '../ingest.js';
import { readScope, servedText, type ReadScope } from '../policy/read-scope.js';
import { isTypeName, placeholderId } from '../stix/common-properties.js';
import type { ObjectValidator, Strictness } from '../stix/object-validator.js';
import type { ObjectText } from '../stix/object-stream.js';
import { timestampToMicros } from '../stix/timestamps.js';
import type { EventContext } from '../store/audit-store.js';
import type { Store } from '../store/index.js';
import type { CollectionView } from '../taxii/collections.js';
import { DEFAULT_VERSIONS, type ObjectFilter } from '../taxii/query.js';
import { refuse } from './input.js';

/** A partner and a collection as that partner sees it. */
export interface TransferTarget {
  /** Who runs the transfer (`cli:<user>`), named in the audit trail beside the partner. */
  readonly operator: string;
  readonly partnerId: string;
  readonly identity: string | null;
  readonly collection: CollectionView;
  readonly scope: ReadScope;
}

/**
 * `ROOT/ALIAS-OR-ID` as partner `partnerId` sees it, for reading or writing:
 * refused, naming what is missing, when the partner could not do it over TAXII.
 */
export async function transferTarget(store: Store, operator: string, collectionRef: string, partnerId: string, need: 'read' | 'write'): Promise<TransferTarget> {
  const slash = collectionRef.indexOf('/');
  if (slash <= 0 || slash === collectionRef.length - 1) refuse(`collection "${collectionRef}": write it as API-ROOT/COLLECTION (its alias or id)`);
  const [rootId, idOrAlias] = [collectionRef.slice(0, slash), collectionRef.slice(slash + 1)];
  const partner = await store.directory.findPartner(partnerId);
  if (partner === undefined || partner.status === 'removed') throw taxiiError('NOT_FOUND', `no partner "${partnerId}"`);
  if (partner.status !== 'active') refuse(`partner "${partnerId}" is ${partner.status}; resume it first`);
  const collection = await store.directory.collectionFor(partnerId, rootId, idOrAlias);
  if (collection === undefined) throw taxiiError('NOT_FOUND', `no collection ${collectionRef} available to partner "${partnerId}"`);
  if (need === 'write' && !collection.canWrite) refuse(`partner "${partnerId}" may not add objects to ${collectionRef} (grant it --write)`);
  if (need === 'read' && !collection.canRead) refuse(`partner "${partnerId}" may not read ${collectionRef} (grant it --read)`);
  const reader = { partnerId, clearance: partner.clearance, communities: partner.communities };
  return { operator, partnerId, identity: partner.identity, collection, scope: readScope(reader, collection, need === 'write' ? 'post' : 'read') };
}

/** The audit trail's record of a transfer: the partner's, made locally by an operator. */
function auditedAs(target: TransferTarget, via: 'import' | 'export'): EventContext {
  return {
    actorKind: 'partner',
    actor: target.partnerId,
    address: 'local',
    via,
    apiRoot: target.collection.apiRootId,
    collectionId: target.collection.id,
    requestId: null,
  };
}

/** Objects (all files together) imported so far. */
export interface ImportProgress {
  readonly done: number;
  /** Counted before the import starts. */
  readonly total: number;
  readonly stored: number;
  readonly present: number;
  readonly refused: number;
  readonly elapsedMs: number;
}

export interface ImportRefusal {
  readonly file: string;
  readonly line: number;
  readonly id: string;
  readonly version: string;
  readonly message: string;
}

export interface ImportSummary extends ImportProgress {
  /** Refusals by message, most frequent first. */
  readonly reasons: readonly { readonly reason: string; readonly count: number }[];
  /** The first refusals, each with where it is. */
  readonly refusals: readonly ImportRefusal[];
}

export interface ImportSource {
  readonly file: string;
  readonly objects: AsyncIterable<ObjectText>;
}

const KEPT_REFUSALS = 1000;

export async function importObjects(
  store: Store,
  validators: Readonly<Record<Strictness, ObjectValidator>>,
  target: TransferTarget,
  sources: readonly ImportSource[],
  total: number,
  onProgress: (progress: ImportProgress) => void,
): Promise<ImportSummary> {
  const started = Date.now();
  const validator = validators[target.collection.validation];
  const reasons = new Map<string, number>();
  const refusals: ImportRefusal[] = [];
  let [done, stored, present, refused] = [0, 0, 0, 0];
  const progress = (): ImportProgress => ({ done, total, stored, present, refused, elapsedMs: Date.now() - started });
  const refuseObject = (refusal: ImportRefusal) => {
    refused++;
    reasons.set(refusal.message, (reasons.get(refusal.message) ?? 0) + 1);
    if (refusals.length < KEPT_REFUSALS) refusals.push(refusal);
  };

  const ingestBatch = async (file: string, batch: readonly ObjectText[]) => {
    const { envelope, unreadable } = envelopeOfTexts(batch);
    for (const u of unreadable) refuseObject({ file, line: u.line, id: `line ${u.line}`, version: 'unknown', message: u.message });
    if (envelope !== undefined) {
      const lines = new Map<string, number>();
      envelope.objects.forEach((o, i) => {
        const key = placeholderId(o, i);
        if (!lines.has(key)) lines.set(key, envelope.lines[i] as number);
      });
      const outcome = await ingestEnvelope(store, validator, {
        apiRootId: target.collection.apiRootId,
        collectionId: target.collection.id,
        policy: target.collection.policy,
        partnerId: target.partnerId,
        partnerIdentity: target.identity,
        scope: target.scope,
        requestTimestamp: Date.now() * 1000,
        envelope,
        audit: { ...auditedAs(target, 'import'), detail: { operator: target.operator, file } },
      });
      for (const s of outcome.successes) {
        if (s.message === ALREADY_PRESENT) present++;
        else stored++;
      }
      for (const f of outcome.failures) {
        refuseObject({ file, line: lines.get(f.id) ?? 0, id: f.id, version: f.version, message: f.message ?? 'refused' });
      }
    }
    done += batch.length;
    onProgress(progress());
  };

  for (const source of sources) {
    for await (const batch of batchesOf(source.objects)) await ingestBatch(source.file, batch);
  }
  const byCount = [...reasons].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count }));
  return { ...progress(), reasons: byCount, refusals };
}

export interface ExportOptions {
  /** RFC 3339: only versions added after it (as added_after). */
  readonly since?: string;
  readonly types?: readonly string[];
  /** Every version the partner may see, not only the latest (as match[version]=all). */
  readonly allVersions?: boolean;
}

const EXPORT_PAGE = 1000;

/**
 * Writes a STIX bundle of what the target's partner may read, page by page;
 * returns how many objects it holds. `write` may wait (backpressure).
 */
export async function exportObjects(
  store: Store,
  target: TransferTarget,
  options: ExportOptions,
  bundleId: string,
  write: (chunk: string) => Promise<void>,
): Promise<number> {
  const since = options.since === undefined ? undefined : timestampToMicros(options.since);
  if (options.since !== undefined && since === undefined) refuse(`since "${options.since}": an RFC 3339 UTC timestamp such as 2024-01-31T12:00:00Z`);
  const wrongType = options.types?.find((t) => !isTypeName(t));
  if (wrongType !== undefined) refuse(`type "${wrongType}": not a STIX type name`);
  const filter: ObjectFilter = {
    versions: options.allVersions === true ? { all: true } : DEFAULT_VERSIONS,
    ...(options.types !== undefined && options.types.length > 0 && { types: options.types }),
    ...(since !== undefined && { addedAfter: since }),
  };
  await write(`{"type":"bundle","id":${JSON.stringify(bundleId)},"objects":[`);
  let count = 0;
  let after: number | undefined;
  for (;;) {
    const page = await store.objects.listObjects(target.collection.id, { filter, limit: EXPORT_PAGE, ...(after !== undefined && { after }) }, target.scope);
    if (page.items.length > 0) {
      // Recorded before it is written: an unrecorded disclosure is worse than a failed export.
      await store.audit.record({
        ...auditedAs(target, 'export'),
        action: 'pull',
        objectIds: page.items.map((r) => r.objectId),
        versions: page.items.map((r) => r.version),
        detail: { operator: target.operator },
      });
      await write(`${count === 0 ? '\n' : ',\n'}${page.items.map((row) => servedText(target.scope, row)).join(',\n')}`);
      count += page.items.length;
      after = page.items[page.items.length - 1]?.dateAdded;
    }
    if (!page.more) break;
  }
  await write(`${count === 0 ? '' : '\n'}]}\n`);
  return count;
}

/** The transfers bound to one store: what the command line and the admin API call. */
export interface Transfers {
  target(collectionRef: string, partnerId: string, need: 'read' | 'write'): Promise<TransferTarget>;
  importObjects(target: TransferTarget, sources: readonly ImportSource[], total: number, onProgress: (p: ImportProgress) => void): Promise<ImportSummary>;
  exportObjects(target: TransferTarget, options: ExportOptions, bundleId: string, write: (chunk: string) => Promise<void>): Promise<number>;
}

/** `validators` is asked for only when an import runs (compiling them takes a while). */
export function createTransfers(store: Store, validators: () => Readonly<Record<Strictness, ObjectValidator>>, operator: string): Transfers {
  return {
    target: (ref, partnerId, need) => transferTarget(store, operator, ref, partnerId, need),
    importObjects: (target, sources, total, onProgress) => importObjects(store, validators(), target, sources, total, onProgress),
    exportObjects: (target, options, bundleId, write) => exportObjects(store, target, options, bundleId, write),
  };
}
