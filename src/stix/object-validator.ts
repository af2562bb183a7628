/**
 * The one entry point for checking a posted STIX object. The POST path depends
 * only on `ObjectValidator`; the full STIX 2.1 schema validation (its own issue)
 * replaces `createCommonPropertiesValidator` behind the same interface.
 */

export interface AcceptedObject {
  readonly ok: true;
  readonly id: string;
  readonly type: string;
  /** `modified`, else `created`; undefined for unversioned objects (SCOs), whose version is their date_added (TR10). */
  readonly version: string | undefined;
  readonly specVersion: string;
}

export interface RejectedObject {
  readonly ok: false;
  /** The object's id, or a placeholder naming its position when it has none. */
  readonly id: string;
  readonly version: string;
  readonly message: string;
}

export type Verdict = AcceptedObject | RejectedObject;

export interface ObjectValidator {
  /** `index` is the object's position in the posted envelope, for messages. */
  validate(object: unknown, index: number): Verdict;
}
