/**
 * Bounds the request bodies a process holds, before any body is read (issue 10,
 * defect 2): a POST reserves its declared Content-Length (or max_content_length
 * when chunked) from a process-wide and a per-partner budget, and gives it back
 * once answered. Over the process budget the answer is 503, over the partner's
 * 429, both with Retry-After; so no partner, and no crowd of partners, can make
 * the server hold more body text than the budgets, whatever they send.
 * A body alone is always admitted (max_content_length bounds it), so a budget
 * smaller than the largest envelope never refuses it forever.
 */
import { taxiiError } from '../errors.js';

export interface BodyAdmission {
  /** Reserves `bytes` for `partnerId`; returns the release function (safe to call twice). */
  admit(partnerId: string, bytes: number): () => void;
  /** Bytes reserved now (for tests). */
  readonly inFlight: number;
}

export function createBodyAdmission(processBytes: number, partnerBytes: number): BodyAdmission {
  let inFlight = 0;
  const byPartner = new Map<string, number>();
  const fits = (used: number, bytes: number, budget: number) => used === 0 || used + bytes <= budget;

  return {
    admit(partnerId, bytes) {
      const partnerUsed = byPartner.get(partnerId) ?? 0;
      if (!fits(partnerUsed, bytes, partnerBytes)) {
        throw taxiiError(
          'RATE_LIMITED',
          `Your requests already being received or stored hold ${partnerUsed} bytes of this server's ${partnerBytes}-byte allowance per partner; wait for them to be answered.`,
          undefined,
          1,
        );
      }
      if (!fits(inFlight, bytes, processBytes)) {
        throw taxiiError('UNAVAILABLE', 'The server is receiving as many request bodies as it can hold; retry shortly.', undefined, 2);
      }
      inFlight += bytes;
      byPartner.set(partnerId, partnerUsed + bytes);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inFlight -= bytes;
        const left = (byPartner.get(partnerId) ?? bytes) - bytes;
        if (left === 0) byPartner.delete(partnerId);
        else byPartner.set(partnerId, left);
      };
    },
    get inFlight() {
      return inFlight;
    },
  };
}
