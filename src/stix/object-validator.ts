/**
 * The one entry point for checking a posted STIX object: the POST path and the
 * offline `validate` command depend only on `ObjectValidator`.
 */

export interface AcceptedObject {
  readonly ok: true;
  readonly id: string;
  readonly type: string;
  /** `modified`, else `created`; undefined for unversioned objects (SCOs), whose version is their date_added (TR10). */
  readonly version: string | undefined;
  readonly specVersion: string;
  /** Advice that does not make the object invalid at this strictness level. */
  readonly warnings: readonly string[];
}

export interface RejectedObject {
  readonly ok: false;
  /** The object's id, or a placeholder naming its position when it has none. */
  readonly id: string;
  readonly version: string;
  readonly message: string;
}

export type Verdict = AcceptedObject | RejectedObject;

/** How far custom content may depart from the STIX 2.1 extension mechanism. */
export type Strictness = 'strict' | 'standard' | 'permissive';
export const STRICTNESS_LEVELS: readonly Strictness[] = ['strict', 'standard', 'permissive'];

export interface ObjectValidator {
  /** `index` is the object's position in the posted envelope, for messages. */
  validate(object: unknown, index: number): Verdict;
  /** Top-level properties a type requires (empty for custom types). */
  requiredProperties(type: string): ReadonlySet<string>;
}
