/** Small STIX object factories for tests. */
import { randomUUID } from 'node:crypto';

export function indicator(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const ts = (overrides['created'] as string | undefined) ?? '2024-01-01T00:00:00.000Z';
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${randomUUID()}`,
    created: ts,
    modified: ts,
    name: 'test indicator',
    pattern: "[ipv4-addr:value = '198.51.100.1']",
    pattern_type: 'stix',
    valid_from: ts,
    ...overrides,
  };
}

/** A later version of the same object. */
export function newVersion(object: Record<string, unknown>, modified: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...object, modified, ...extra };
}

export function ipv4(value: string): Record<string, unknown> {
  return { type: 'ipv4-addr', spec_version: '2.1', id: `ipv4-addr--${randomUUID()}`, value };
}

export function malware(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'malware',
    spec_version: '2.1',
    id: `malware--${randomUUID()}`,
    created: '2024-01-01T00:00:00.000Z',
    modified: '2024-01-01T00:00:00.000Z',
    name: 'test malware',
    is_family: true,
    ...overrides,
  };
}
