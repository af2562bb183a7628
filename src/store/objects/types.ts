/** What the object store takes and gives: one vocabulary for its operations (see ../object-store.ts). */
import type { WriteFacts } from '../../policy/write-policy.js';
import type { TlpLevel } from '../../stix/tlp.js';

/** A validated object ready to store. */
export interface IncomingObject {
  readonly id: string;
  readonly type: string;
  /** modified, else created; undefined for unversioned objects. */
  readonly version: string | undefined;
  readonly specVersion: string;
  readonly raw: string;
  readonly facts: WriteFacts;
}

export type WriteOutcome =
  | { readonly kind: 'added'; readonly id: string; readonly version: string; readonly dateAdded: number }
  | { readonly kind: 'duplicate'; readonly id: string; readonly version: string }
  | { readonly kind: 'conflict'; readonly id: string; readonly version: string; readonly message: string };

export interface ManifestRow {
  readonly id: string;
  readonly dateAdded: number;
  readonly version: string;
  readonly specVersion: string;
}

export interface ObjectRow {
  readonly objectId: string;
  readonly version: string;
  readonly dateAdded: number;
  readonly raw: string;
  /** For redaction: granular TLP level and who submitted the version. */
  readonly granularLevel: TlpLevel | null;
  readonly submittedBy: string;
}

export interface VersionRow {
  readonly dateAdded: number;
  readonly version: string;
}

/**
 * A page of objects as one text: the stored JSON texts joined with commas, in
 * date_added order, assembled inside the database (the fast path for big pages).
 */
export interface JoinedPage {
  readonly joined: string;
  readonly count: number;
  readonly first: number | undefined;
  readonly last: number | undefined;
  readonly more: boolean;
}

/** One page of items plus whether more exist (limit + 1 fetched). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly more: boolean;
}
