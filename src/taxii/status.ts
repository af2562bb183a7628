/** The status of an Add Objects request (taxii-2.1.md §9.3): what the server reports and keeps. */

/** One object of the request: its id and version, with a message for a failure or a warning. */
export interface StatusDetail {
  readonly id: string;
  readonly version: string;
  readonly message?: string;
}

export interface StatusRecord {
  readonly id: string;
  readonly status: 'pending' | 'complete';
  readonly requestTimestamp: number;
  readonly totalCount: number;
  readonly successes: readonly StatusDetail[];
  readonly failures: readonly StatusDetail[];
  readonly pendings: readonly StatusDetail[];
}
