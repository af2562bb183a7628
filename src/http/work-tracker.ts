/**
 * Writes in progress (Add Objects, Delete). A client that disconnects does not stop
 * its write: the handler goes on until the transaction and the status are stored.
 * Shutdown waits for them before it closes the database, so no acknowledged write
 * is cut off half-way through its bookkeeping.
 */
export interface WorkTracker {
  /** Runs `work`, counted as in progress until it settles. */
  track<T>(work: () => Promise<T>): Promise<T>;
  /** Resolves once nothing is in progress, or after `timeoutMs`; true when idle. */
  idle(timeoutMs: number): Promise<boolean>;
}

export function createWorkTracker(): WorkTracker {
  let running = 0;
  let waiters: (() => void)[] = [];
  return {
    async track(work) {
      running += 1;
      try {
        return await work();
      } finally {
        running -= 1;
        if (running === 0) {
          for (const wake of waiters) wake();
          waiters = [];
        }
      }
    },
    idle(timeoutMs) {
      if (running === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(running === 0), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
}
