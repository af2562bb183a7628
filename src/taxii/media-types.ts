/** Media types and content negotiation (taxii-2.1.md §2, TR1, TR2). */

export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';

interface MediaRange {
  type: string;
  subtype: string;
  params: Map<string, string>;
}

function parseMediaRange(text: string): MediaRange | undefined {
  const [essence, ...paramParts] = text.split(';');
  const slash = (essence ?? '').trim().toLowerCase().split('/');
  if (slash.length !== 2 || slash[0] === '' || slash[1] === '') return undefined;
  const params = new Map<string, string>();
  for (const part of paramParts) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    params.set(name, value);
  }
  return { type: slash[0] as string, subtype: slash[1] as string, params };
}

function isTaxii21(range: MediaRange, alsoStix: boolean): boolean {
  const version = range.params.get('version');
  if (version !== undefined && version !== '2.1') return false;
  if (range.type !== 'application') return false;
  return range.subtype === 'taxii+json' || (alsoStix && range.subtype === 'stix+json');
}

/**
 * TR1: acceptable when some range is the TAXII type without a version or with
 * version=2.1, or a wildcard. `alsoStix` covers the manifest anomaly (A10).
 */
export function acceptsTaxii21(accept: string | undefined, alsoStix = false): boolean {
  if (accept === undefined || accept.trim() === '') return false;
  for (const part of accept.split(',')) {
    const range = parseMediaRange(part);
    if (range === undefined) continue;
    const q = range.params.get('q');
    if (q !== undefined && Number.parseFloat(q) === 0) continue; // q=0: explicitly not acceptable
    if (isTaxii21(range, alsoStix)) return true;
    if (range.type === '*' && range.subtype === '*') return true;
    if (range.type === 'application' && range.subtype === '*') return true;
  }
  return false;
}

/** TR1 for POST: the TAXII type with no version or version=2.1; charset is ignored. */
export function isTaxii21ContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const range = parseMediaRange(contentType);
  return range !== undefined && isTaxii21(range, false);
}
