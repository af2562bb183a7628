/**
 * Endless envelopes of realistic objects for one soak pusher, from the
 * benchmark's corpus generator (bench/corpus.ts) a chunk at a time. Each chunk's
 * ids are replaced by fresh random ones: chunks from different seeds of a 32-bit
 * generator may overlap over a long soak, and an id posted twice with other
 * content would be refused (S41), not measured. Ids the objects share on purpose
 * (TLP markings, the corpus identity and recipients marking, extension
 * definitions, which name properties) are kept.
 */
import { randomUUID } from 'node:crypto';
import { RECIPIENTS_EXTENSION_ID } from '../src/policy/recipients.js';
import { TLP_MARKINGS } from '../src/stix/tlp.js';
import { BENCH_IDENTITY_ID, buildCorpus, RECIPIENTS_MARKING_ID } from './corpus.js';

type Obj = Record<string, unknown>;

/** Envelopes per chunk: later versions of an object follow it one or two envelopes later, inside its chunk. */
const CHUNK_ENVELOPES = 20;
const STIX_ID = /\b([a-z0-9]+(?:-[a-z0-9]+)*)--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;
const PREAMBLE = new Set([BENCH_IDENTITY_ID, RECIPIENTS_MARKING_ID]);
const SHARED_IDS = new Set([...PREAMBLE, ...TLP_MARKINGS.keys(), RECIPIENTS_EXTENSION_ID]);

export interface Envelope {
  readonly objects: readonly Obj[];
  readonly body: Buffer;
}

function chunkSeed(seed: number, pusher: number, chunk: number): number {
  return (Math.imul(seed, 0x9e3779b1) ^ Math.imul(pusher + 1, 0x85ebca77) ^ Math.imul(chunk + 1, 0xc2b2ae3d)) >>> 0;
}

/**
 * Envelopes of `size` objects. The first one carries the identity and recipients
 * marking the corpus' objects refer to (posted by every pusher: all but the first
 * get "already present"); later ones leave them out.
 */
export function createEnvelopeSource(seed: number, pusher: number, size: number): () => Envelope {
  let chunk = 0;
  let queue: string[] = [];
  let fresh = new Map<string, string>();
  let first = true;
  const renamed = (text: string) =>
    text.replace(STIX_ID, (id: string, type: string) => {
      if (SHARED_IDS.has(id)) return id;
      let to = fresh.get(id);
      if (to === undefined) fresh.set(id, (to = `${type}--${randomUUID()}`));
      return to;
    });
  return () => {
    if (queue.length === 0) {
      queue = [...buildCorpus(CHUNK_ENVELOPES * size, size, chunkSeed(seed, pusher, chunk++)).envelopes];
      fresh = new Map();
    }
    const parsed = JSON.parse(renamed(queue.shift() as string)) as { objects: Obj[] };
    const objects = first ? parsed.objects : parsed.objects.filter((o) => !PREAMBLE.has(o['id'] as string));
    first = false;
    return { objects, body: Buffer.from(JSON.stringify({ objects })) };
  };
}
