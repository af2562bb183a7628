/** TAXII resources as JSON (taxii-2.1.md §9); lists that would be empty are omitted. */
import type { CollectionView } from '../taxii/collections.js';
import type { StatusDetail, StatusRecord } from '../taxii/status.js';
import { STIX_MEDIA_TYPE } from '../taxii/media-types.js';
import { formatMicros } from '../stix/timestamps.js';

export function collectionResource(c: CollectionView): Record<string, unknown> {
  return {
    id: c.id,
    title: c.title,
    ...(c.description !== null && { description: c.description }),
    ...(c.alias !== null && { alias: c.alias }),
    can_read: c.canRead,
    can_write: c.canWrite,
    media_types: [STIX_MEDIA_TYPE],
  };
}

function listOrNothing(name: string, list: readonly StatusDetail[]): Record<string, unknown> {
  return list.length === 0 ? {} : { [name]: list };
}

export function statusResource(s: StatusRecord): Record<string, unknown> {
  return {
    id: s.id,
    status: s.status,
    request_timestamp: formatMicros(s.requestTimestamp),
    total_count: s.totalCount,
    success_count: s.successes.length,
    ...listOrNothing('successes', s.successes),
    failure_count: s.failures.length,
    ...listOrNothing('failures', s.failures),
    pending_count: s.pendings.length,
    ...listOrNothing('pendings', s.pendings),
  };
}
