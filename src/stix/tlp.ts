/**
 * TLP levels and the marking-definition ids that carry them (tlp.md §2, §3, §5).
 * Levels are ordered from least to most restrictive; TLP 1.0 WHITE is CLEAR and
 * TLP 1.0 AMBER is AMBER (issue decision). Only ids count, never a posted body.
 */

export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export type TlpName = (typeof TLP_LEVELS)[number];
/** 0 = clear … 4 = red */
export type TlpLevel = 0 | 1 | 2 | 3 | 4;
export const RED: TlpLevel = 4;

export function levelOf(name: TlpName): TlpLevel {
  return TLP_LEVELS.indexOf(name) as TlpLevel;
}

export function nameOf(level: TlpLevel): TlpName {
  return TLP_LEVELS[level];
}

/** `TLP:AMBER+STRICT`: a level as people write it. */
export function tlpLabel(level: TlpLevel): string {
  return `TLP:${nameOf(level).toUpperCase()}`;
}

/** The published marking-definition ids of TLP 1.0 and 2.0 (tlp.md §5 table). */
export const TLP_IDS = {
  white: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', // TLP 1.0
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487', // TLP 2.0
  green1: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', // TLP 1.0
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb', // TLP 2.0
  amber1: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', // TLP 1.0
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421', // TLP 2.0
  amberStrict: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003', // TLP 2.0
  red1: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', // TLP 1.0
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1', // TLP 2.0
} as const;

/** The TLP 1.0 ids among TLP_IDS. */
export const TLP1_IDS: ReadonlySet<string> = new Set([TLP_IDS.white, TLP_IDS.green1, TLP_IDS.amber1, TLP_IDS.red1]);

/** marking-definition id → level, TLP 1.0 and 2.0. */
export const TLP_MARKINGS: ReadonlyMap<string, TlpLevel> = new Map<string, TlpLevel>([
  [TLP_IDS.white, 0],
  [TLP_IDS.clear, 0],
  [TLP_IDS.green1, 1],
  [TLP_IDS.green, 1],
  [TLP_IDS.amber1, 2],
  [TLP_IDS.amber, 2],
  [TLP_IDS.amberStrict, 3],
  [TLP_IDS.red1, 4],
  [TLP_IDS.red, 4],
]);

/** The extension-definition of TLP 2.0 marking definitions (tlp.md §3). */
export const TLP2_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

/** The published body of a TLP marking-definition id (tlp.md §2, §3). */
export function tlpMarking(id: string): Record<string, unknown> {
  const level = TLP_MARKINGS.get(id) ?? 0;
  if (TLP1_IDS.has(id)) {
    const name = level === 0 ? 'white' : nameOf(level);
    return {
      type: 'marking-definition', spec_version: '2.1', id, created: '2017-01-20T00:00:00.000Z',
      definition_type: 'tlp', name: `TLP:${name.toUpperCase()}`, definition: { tlp: name },
    };
  }
  return {
    type: 'marking-definition', spec_version: '2.1', id, created: '2022-10-01T00:00:00.000Z',
    name: tlpLabel(level),
    extensions: { [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: nameOf(level) } },
  };
}

/** LR1: the most restrictive TLP among the ids; undefined when none is a TLP marking. */
export function mostRestrictive(markingIds: readonly unknown[]): TlpLevel | undefined {
  let level: TlpLevel | undefined;
  for (const id of markingIds) {
    const l = typeof id === 'string' ? TLP_MARKINGS.get(id) : undefined;
    if (l !== undefined && (level === undefined || l > level)) level = l;
  }
  return level;
}
