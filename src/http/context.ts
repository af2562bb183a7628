/** What every route handler gets, and the request decorations the plugins add. */
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { Config } from '../config/types.js';
import type { ObjectValidator, Strictness } from '../stix/object-validator.js';
import type { CollectionView } from '../store/directory.js';
import type { Store } from '../store/index.js';
import type { CursorCodec } from '../taxii/cursor.js';

export interface AppDeps {
  readonly config: Config;
  readonly store: Store;
  readonly validators: Readonly<Record<Strictness, ObjectValidator>>;
  readonly cursors: CursorCodec;
  readonly authenticator: Authenticator;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
    /** Set on Add Objects once the caller may write to the collection. */
    writeTarget: { readonly collection: CollectionView; readonly maxContentLength: number} | undefined;
  }
}
