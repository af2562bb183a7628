/** What every route handler gets, and the request decorations the plugins add. */
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { Config } from '../config/types.js';
import type { ObjectValidator, Strictness } from '../stix/object-validator.js';
import type { CollectionView } from '../taxii/collections.js';
import type { Store } from '../store/index.js';
import type { CursorCodec } from '../taxii/cursor.js';
import type { BodyAdmission } from './body-admission.js';
import type { Metrics } from './metrics.js';
import type { WorkTracker } from './work-tracker.js';

export interface AppDeps {
  readonly config: Config;
  readonly store: Store;
  readonly validators: Readonly<Record<Strictness, ObjectValidator>>;
  readonly cursors: CursorCodec;
  readonly authenticator: Authenticator;
  /** Request bodies held at once, per process and per partner. */
  readonly bodies: BodyAdmission;
  /** Writes in progress, which shutdown waits for. */
  readonly writes: WorkTracker;
  /** Prometheus counters; undefined when metrics are off. */
  readonly metrics: Metrics | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Add Objects and Delete handlers still running (see shutdown.ts). */
    writesInProgress: WorkTracker;
    /** Its Prometheus registry and counters, when metrics are on (server.ts serves them on a port of their own). */
    metrics: Metrics | undefined;
    /** Every route registered: method and URL pattern. */
    routeTable: readonly { readonly method: string; readonly url: string }[];
  }
  interface FastifyRequest {
    principal: Principal | undefined;
    /** Set on Add Objects once the caller may write to the collection. */
    writeTarget: CollectionView | undefined;
  }
}
