/** How the pages name things: a collection's admin API path, an instant as people read it. */
import type { Collection } from './types.js';

export const collectionPath = (c: Collection): string => `/collections/${encodeURIComponent(c.api_root)}/${encodeURIComponent(c.alias ?? c.id)}`;

/** An RFC 3339 instant to the second, in UTC. */
export const instant = (at: string): string => `${at.slice(0, 19).replace('T', ' ')} UTC`;
