/**
 * Shared paging for objects, object, manifest and versions: page size bounds,
 * `next` cursors (TR12–TR14), `more`, and the X-TAXII-Date-Added headers (T31, TR4).
 */
import type { FastifyReply } from 'fastify';
import type { Principal } from '../auth/authenticator.js';
import type { ServerSettings } from '../config/types.js';
import type { CursorCodec, CursorScope } from '../taxii/cursor.js';
import type { PageQuery } from '../taxii/query.js';
import type { ParsedQuery } from '../taxii/query-params.js';
import { formatMicros } from '../stix/timestamps.js';
import type { Page } from '../store/object-store.js';

export function cursorScope(kind: string, principal: Principal, ...keys: string[]): CursorScope {
  return { scope: [kind, ...keys].join(' '), partnerId: principal.partnerId };
}

/** T38–T40: the client's limit, bounded by the server's maximum. */
export function toPageQuery(
  parsed: ParsedQuery,
  settings: ServerSettings,
  cursors: CursorCodec,
  scope: CursorScope,
): PageQuery {
  const limit = Math.min(parsed.limit ?? settings.defaultPageSize, settings.maxPageSize);
  if (parsed.next === undefined) return { filter: parsed.filter, limit };
  const resumed = cursors.decode(parsed.next, scope, parsed.filterless ? undefined : parsed.filter);
  return { filter: resumed.filter, limit, after: resumed.after };
}

/** What the paging members and headers need from a page. */
export interface PageBounds {
  /** date_added of the first and last item; undefined on an empty page. */
  readonly first: number | undefined;
  readonly last: number | undefined;
  readonly more: boolean;
}

export function boundsOf<T extends { dateAdded: number }>(page: Page<T>): PageBounds {
  return { first: page.items[0]?.dateAdded, last: page.items[page.items.length - 1]?.dateAdded, more: page.more };
}

/**
 * Sets the date headers (omitted on an empty page, TR4) and returns the `more`/`next`
 * members to put first in the body.
 */
export function finishPage(
  reply: FastifyReply,
  page: PageBounds,
  query: PageQuery,
  cursors: CursorCodec,
  scope: CursorScope,
): Record<string, unknown> {
  const { first, last } = page;
  if (first !== undefined && last !== undefined) {
    reply.header('x-taxii-date-added-first', formatMicros(first));
    reply.header('x-taxii-date-added-last', formatMicros(last));
  }
  if (!page.more || last === undefined) return {};
  return { more: true, next: cursors.encode(scope, query.filter, last) };
}
