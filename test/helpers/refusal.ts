/** What a service call refused with: the status and description of its TaxiiError. */
import { TaxiiError } from '../../src/errors.js';

export async function refusal(promise: Promise<unknown>): Promise<{ status: number; description: string }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TaxiiError) return { status: err.status, description: err.description };
    throw err;
  }
  throw new Error('expected a refusal');
}
