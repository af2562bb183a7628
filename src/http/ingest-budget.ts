/**
 * Bounds the memory Add Objects may use at once. A parsed envelope takes several
 * times its size in heap, so envelopes are admitted (before their bodies are
 * read) while the bytes being processed stay within a budget; one envelope is
 * always admitted alone, whatever its size (max_content_length bounds that).
 * Writers of one collection are serialised by the database anyway, so waiting
 * here costs no throughput; it keeps the process's memory flat (issue 5).
 */
export interface IngestBudget {
  /** Waits until `bytes` fit; returns the release function (safe to call twice). */
  admit(bytes: number): Promise<() => void>;
  /** Bytes admitted and not yet released (for tests). */
  readonly inFlight: number;
}

export const DEFAULT_INGEST_BUDGET_BYTES = 2 * 1024 * 1024;

export function createIngestBudget(budgetBytes: number = DEFAULT_INGEST_BUDGET_BYTES): IngestBudget {
  let inFlight = 0;
  const waiting: { bytes: number; start: () => void }[] = [];

  const fits = (bytes: number) => inFlight === 0 || inFlight + bytes <= budgetBytes;
  const admitWaiting = () => {
    // First come, first served: a large envelope is not overtaken forever by small ones.
    while (waiting.length > 0 && fits((waiting[0] as { bytes: number }).bytes)) (waiting.shift() as { start: () => void }).start();
  };
  const grant = (bytes: number) => {
    inFlight += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      inFlight -= bytes;
      admitWaiting();
    };
  };

  return {
    admit(bytes) {
      if (waiting.length === 0 && fits(bytes)) return Promise.resolve(grant(bytes));
      return new Promise((resolve) => waiting.push({ bytes, start: () => resolve(grant(bytes)) }));
    },
    get inFlight() {
      return inFlight;
    },
  };
}
