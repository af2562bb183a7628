/** API roots and collections as one partner sees them (taxii-2.1.md §4, §5, §9.5). */
import type { CollectionPolicy } from '../config/types.js';
import type { Strictness } from '../stix/object-validator.js';

export interface ApiRootRecord {
  readonly id: string;
  readonly title: string;
  readonly description: string | null;
  readonly maxContentLength: number;
}

/** A collection with the caller's computed rights (taxii-2.1.md §9.5). */
export interface CollectionView {
  readonly id: string;
  readonly apiRootId: string;
  readonly alias: string | null;
  readonly title: string;
  readonly description: string | null;
  readonly canRead: boolean;
  readonly canWrite: boolean;
  readonly policy: CollectionPolicy;
  /** How strictly posted objects are checked. */
  readonly validation: Strictness;
  /** max_content_length of the collection's API root, as the API root resource reports it. */
  readonly maxContentLength: number;
}
