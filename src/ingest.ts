/**
 * Add Objects (E8): turns a request body into stored versions and a status
 * resource. Whole-request problems are thrown as TaxiiErrors before anything is
 * stored; per-object problems become status failures while the rest is stored.
 */
import { randomUUID } from 'node:crypto';
import { TaxiiError, taxiiError } from './errors.js';
import type { CollectionPolicy } from './config/types.js';
import type { ReadScope } from './policy/read-scope.js';
import { recipientsOf, type Recipients } from './policy/recipients.js';
import { assessWrite } from './policy/write-policy.js';
import { isTypeName, placeholderId, placeholderVersion } from './stix/common-properties.js';
import type { ObjectValidator, RejectedObject, Verdict } from './stix/object-validator.js';
import type { ObjectText } from './stix/object-stream.js';
import type { Store } from './store/index.js';
import type { IncomingObject, WriteOutcome } from './store/object-store.js';
import type { AuditEvent, EventContext, PushOutcome } from './store/audit-store.js';
import type { StatusDetail, StatusRecord } from './taxii/status.js';
import { citationOf, ruleBroken, scanEnvelope, type IJsonProblem } from './taxii/i-json.js';

export interface ParsedEnvelope {
  readonly objects: readonly unknown[];
  /** JSON text of each object exactly as received. */
  readonly raws: readonly string[];
  /** T5: per object, where its text is not I-JSON (RFC 7493) and so reads differently in other parsers. */
  readonly ambiguities: readonly (IJsonProblem | undefined)[];
}

const ENVELOPE_HINT = 'Send a TAXII envelope: {"objects": [ ...STIX objects... ]}';

/** TR22/TR23: 400 for text that is not JSON, 422 for JSON that is not a usable envelope. */
export function parseEnvelope(body: string): ParsedEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw taxiiError('BAD_JSON', `The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw taxiiError('UNPROCESSABLE', `The request body must be a JSON object. ${ENVELOPE_HINT}`);
  }
  // T5: what is checked is the parsed value, what is stored and served is the text; both
  // must mean the same to every parser (I-JSON, RFC 7493).
  const scan = scanEnvelope(body);
  if (scan.envelopeProblem !== undefined) throw taxiiError('UNPROCESSABLE', envelopeAmbiguity(scan.envelopeProblem));
  const envelope = parsed as Record<string, unknown>;
  const objects = envelope['objects'];
  if (objects === undefined) {
    const type = envelope['type'];
    const hint = typeof type === 'string' && type !== 'bundle' ? ` This looks like a single ${type} object.` : '';
    throw taxiiError('UNPROCESSABLE', `The envelope has no "objects" list.${hint} ${ENVELOPE_HINT}`);
  }
  if (!Array.isArray(objects)) throw taxiiError('UNPROCESSABLE', `"objects" must be a list. ${ENVELOPE_HINT}`);
  if (objects.length === 0) throw taxiiError('UNPROCESSABLE', '"objects" is empty; a TAXII list holds at least one item.');
  // Re-serialised text would lose what the I-JSON check is for: a disagreement is a bug, not the client's fault.
  if (scan.raws === undefined || scan.raws.length !== objects.length) throw new Error('the envelope scan disagrees with JSON.parse');
  return { objects, raws: scan.raws, ambiguities: scan.problems };
}

/** `member "objects" appears twice`, or where and what for the other rules. */
function envelopeAmbiguity(problem: IJsonProblem): string {
  const { path, token } = problem;
  const topLevel = path === token || path === `[${JSON.stringify(token)}]`;
  const what =
    problem.rule === 'duplicate-name'
      ? `member ${JSON.stringify(token)} appears twice${topLevel ? '' : ` at ${path}`}`
      : `${path === '' ? '' : `${path}: `}${ruleBroken(problem)}`;
  return `The envelope is ambiguous JSON: ${what} (${citationOf(problem)}).`;
}

/** A per-object failure in the style of the validator's: type, property path, rule. */
function ambiguousObject(object: unknown, index: number, problem: IJsonProblem): RejectedObject {
  const type = (object as Record<string, unknown> | null)?.['type'];
  const prefix = typeof type === 'string' && isTypeName(type) ? type : '';
  const { path } = problem;
  const where = prefix !== '' && path !== '' && !path.startsWith('[') ? `${prefix}.${path}` : `${prefix}${path}`;
  const message = `${where === '' ? '' : `${where}: `}${ruleBroken(problem)}; ambiguous JSON is refused (${citationOf(problem)})`;
  return { ok: false, id: placeholderId(object, index), version: placeholderVersion(object), message };
}

/**
 * What the server decides about each object of an envelope before it looks at who sent
 * it or where it goes: its text is I-JSON (T5), it passes the STIX validator at the
 * collection's level, and a recipients marking is well formed. The offline `validate`
 * command gives exactly these verdicts (judgeObjectTexts).
 */
export function judgeEnvelope(validator: ObjectValidator, envelope: ParsedEnvelope): Verdict[] {
  return envelope.objects.map((o, i) => {
    // T5: ambiguous text is refused before validation, which would judge only JSON.parse's reading of it.
    const ambiguity = envelope.ambiguities[i];
    if (ambiguity !== undefined) return ambiguousObject(o, i, ambiguity);
    const verdict = validator.validate(o, i);
    if (!verdict.ok || verdict.type !== 'marking-definition') return verdict;
    const recipients = recipientsOf(o as Record<string, unknown>);
    return typeof recipients === 'string' ? { ok: false, id: verdict.id, version: verdict.version ?? 'unknown', message: recipients } : verdict;
  });
}

/** As a POST body, at most this much is worked on at a time (the ingest budget's 2 MiB). */
const BATCH_BYTES = 2 * 1024 * 1024;
const BATCH_OBJECTS = 500;

/**
 * Object texts read from a file, gathered into batches a POST could carry. Should
 * reading fail, the objects read before are still given as a batch, then the error.
 */
export async function* batchesOf(texts: AsyncIterable<ObjectText>): AsyncGenerator<ObjectText[]> {
  let batch: ObjectText[] = [];
  let bytes = 0;
  try {
    for await (const object of texts) {
      if (batch.length > 0 && (batch.length >= BATCH_OBJECTS || bytes + object.text.length > BATCH_BYTES)) {
        yield batch;
        [batch, bytes] = [[], 0];
      }
      batch.push(object);
      bytes += object.text.length;
    }
  } catch (err) {
    if (batch.length > 0) yield batch;
    throw err;
  }
  if (batch.length > 0) yield batch;
}

/**
 * A batch as the envelope a POST of it would be. An item that is not JSON would
 * make the whole envelope unreadable: such items are set apart, as a client
 * sending them one by one would see them refused.
 */
export function envelopeOfTexts(batch: readonly ObjectText[]): {
  envelope: (ParsedEnvelope & { lines: readonly number[] }) | undefined;
  unreadable: readonly { line: number; message: string }[];
} {
  const envelopeText = (items: readonly ObjectText[]) => `{"objects":[${items.map((o) => o.text).join(',')}]}`;
  try {
    return { envelope: { ...parseEnvelope(envelopeText(batch)), lines: batch.map((o) => o.line) }, unreadable: [] };
  } catch (err) {
    if (!(err instanceof TaxiiError)) throw err;
  }
  const readable: ObjectText[] = [];
  const unreadable: { line: number; message: string }[] = [];
  for (const item of batch) {
    try {
      JSON.parse(item.text);
      readable.push(item);
    } catch (err) {
      unreadable.push({ line: item.line, message: `not valid JSON: ${(err as Error).message}` });
    }
  }
  if (readable.length === 0) return { envelope: undefined, unreadable };
  // Every item parses alone, so the envelope of them does; a refusal now is a bug, not the file's fault.
  return { envelope: { ...parseEnvelope(envelopeText(readable)), lines: readable.map((o) => o.line) }, unreadable };
}

/** One object of a file as the server would judge it, in file order. */
export interface JudgedText {
  readonly line: number;
  readonly verdict: Verdict;
}

/** The server's per-object verdicts for a file's objects (judgeEnvelope), without a store. */
export async function* judgeObjectTexts(texts: AsyncIterable<ObjectText>, validator: ObjectValidator): AsyncGenerator<JudgedText> {
  for await (const batch of batchesOf(texts)) {
    const { envelope, unreadable } = envelopeOfTexts(batch);
    const judged: JudgedText[] = unreadable.map((u) => ({ line: u.line, verdict: { ok: false, id: `line ${u.line}`, version: 'unknown', message: u.message } }));
    if (envelope !== undefined) {
      judgeEnvelope(validator, envelope).forEach((verdict, i) => judged.push({ line: envelope.lines[i] as number, verdict }));
    }
    yield* judged.sort((a, b) => a.line - b.line);
  }
}

export interface IngestRequest {
  readonly apiRootId: string;
  readonly collectionId: string;
  readonly policy: CollectionPolicy;
  readonly partnerId: string;
  readonly partnerIdentity: string | null;
  /** The submitter as a reader: what it may already see decides what counts as a duplicate. */
  readonly scope: ReadScope;
  readonly requestTimestamp: number;
  readonly envelope: ParsedEnvelope;
  /** Who pushes, for the audit trail (absent when it is off): recorded with the versions, or nothing is stored. */
  readonly audit?: EventContext;
}

/**
 * Recipients markings an object may reference: those defined anywhere in this
 * envelope (valid ones), then those already stored.
 */
async function recipientsLookup(store: Store, request: IngestRequest, verdicts: readonly Verdict[]) {
  const { objects } = request.envelope;
  const inEnvelope = new Map<string, Recipients>();
  const referenced = new Set<string>();
  verdicts.forEach((v, i) => {
    if (!v.ok) return;
    const o = objects[i] as Record<string, unknown>;
    if (v.type === 'marking-definition') {
      const r = recipientsOf(o);
      if (r !== undefined && typeof r !== 'string') inEnvelope.set(v.id, r);
    }
    const refs = o['object_marking_refs'];
    if (Array.isArray(refs)) for (const id of refs) if (typeof id === 'string') referenced.add(id);
  });
  // Only definitions in this collection that the poster may see count: what another partner
  // posted elsewhere, or hidden from the poster, never decides who receives the poster's objects.
  // A stored definition wins over a re-posted one: marking definitions never change (a re-post
  // with other recipients is refused as a conflict).
  const stored = await store.objects.recipientMarkings(request.collectionId, [...referenced], request.scope);
  return (id: string) => stored.get(id) ?? inEnvelope.get(id);
}

const PUSH_OUTCOME: Record<WriteOutcome['kind'], PushOutcome> = { added: 'stored', duplicate: 'present', conflict: 'refused' };

/** What one envelope came to: per object, stored (or already present, with a message) or refused. */
export interface IngestOutcome {
  readonly totalCount: number;
  readonly successes: readonly StatusDetail[];
  readonly failures: readonly StatusDetail[];
}

/** A refusal's reason as the audit trail keeps it: enough to read, never a whole posted object. */
const MAX_RECORDED_REASON = 500;

/** The message of a success that stored nothing: the version was already there. */
export const ALREADY_PRESENT = 'already present; not stored again (T71)';

/**
 * Validates, applies the write policy and stores one envelope: what Add Objects
 * does before it writes the status, and all that `import` does.
 */
export async function ingestEnvelope(store: Store, validator: ObjectValidator, request: IngestRequest): Promise<IngestOutcome> {
  const { objects, raws } = request.envelope;
  const verdicts = judgeEnvelope(validator, request.envelope);
  const failures: StatusDetail[] = [];
  const incoming: IncomingObject[] = [];
  const warnings = new Map<string, string>();
  /** Per object, in envelope order: refused here, or the index of its outcome from the store. */
  const fates: (StatusDetail | number)[] = [];
  const recipientsMarking = await recipientsLookup(store, request, verdicts);
  verdicts.forEach((v, i) => {
    if (!v.ok) {
      failures.push({ id: v.id, version: v.version, message: v.message });
      fates.push({ id: v.id, version: v.version, message: v.message });
      return;
    }
    const facts = assessWrite(objects[i] as Record<string, unknown>, v.type, {
      policy: request.policy,
      submitterIdentity: request.partnerIdentity,
      recipientsMarking,
      requiredProperties: (type) => validator.requiredProperties(type),
    });
    if (typeof facts === 'string') {
      failures.push({ id: v.id, version: v.version ?? 'unknown', message: facts });
      fates.push({ id: v.id, version: v.version ?? 'unknown', message: facts });
      return;
    }
    fates.push(incoming.length);
    if (v.warnings.length > 0) warnings.set(v.id, `stored with warnings: ${v.warnings.join('; ')}`);
    incoming.push({
      id: v.id,
      type: v.type,
      version: v.version,
      specVersion: v.specVersion,
      raw: raws[i] as string,
      facts,
    });
  });

  // One transaction: should it fail, nothing is stored and the client gets an error, not a status.
  const context = request.audit;
  const pushEvent = context === undefined ? undefined : (outcomes: readonly WriteOutcome[]): AuditEvent => {
    const sent = fates.map((fate) => {
      if (typeof fate !== 'number') return { id: fate.id, version: fate.version ?? 'unknown', outcome: 'refused' as const, reason: fate.message };
      const o = outcomes[fate] as WriteOutcome;
      return { id: o.id, version: o.version, outcome: PUSH_OUTCOME[o.kind], reason: o.kind === 'conflict' ? o.message : undefined };
    });
    // Why each refused version was refused, for the console's "recent refusals" (issue 15).
    const refusals = sent.flatMap((s) => (s.outcome === 'refused' ? [{ id: s.id, version: s.version, reason: (s.reason ?? 'refused').slice(0, MAX_RECORDED_REASON) }] : []));
    return {
      ...context,
      action: 'push',
      objectIds: sent.map((s) => s.id),
      versions: sent.map((s) => s.version),
      outcomes: sent.map((s) => s.outcome),
      ...(refusals.length > 0 && { detail: { ...context.detail, refusals } }),
    };
  };
  const outcomes = await store.objects.add(request.collectionId, request.partnerId, incoming, request.scope, pushEvent);
  // Nothing to store, so no transaction: the refusals are recorded on their own.
  if (incoming.length === 0 && pushEvent !== undefined) await store.audit.record(pushEvent([]));
  const successes: StatusDetail[] = [];
  for (const outcome of outcomes) {
    if (outcome.kind === 'added') {
      const warning = warnings.get(outcome.id);
      successes.push({ id: outcome.id, version: outcome.version, ...(warning !== undefined && { message: warning }) });
    }
    else if (outcome.kind === 'duplicate') {
      successes.push({ id: outcome.id, version: outcome.version, message: ALREADY_PRESENT });
    } else failures.push({ id: outcome.id, version: outcome.version, message: outcome.message });
  }
  return { totalCount: objects.length, successes, failures };
}

export async function addObjects(store: Store, validator: ObjectValidator, request: IngestRequest): Promise<StatusRecord> {
  const id = randomUUID();
  // The audit trail names the status the partner was given.
  const audit = request.audit === undefined ? undefined : { ...request.audit, detail: { ...request.audit.detail, status_id: id } };
  const outcome = await ingestEnvelope(store, validator, { ...request, ...(audit !== undefined && { audit }) });
  const status = {
    id,
    apiRootId: request.apiRootId,
    collectionId: request.collectionId,
    partnerId: request.partnerId,
    requestTimestamp: request.requestTimestamp,
    ...outcome,
  };
  await store.statuses.saveComplete(status);
  return { ...status, status: 'complete', pendings: [] };
}
