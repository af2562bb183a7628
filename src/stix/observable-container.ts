/**
 * The deprecated observable container of `observed-data.objects` (stix-2.1.md S16): a
 * dictionary of SCOs keyed by local ids ("0", "1", …) whose references name other keys
 * of the same dictionary. To be held to the rules of their own types, the objects are
 * given as standalone SCOs: each gets an id of its type, and every reference to a key
 * becomes that object's id, so reference rules check the types they point to.
 */
type Obj = Record<string, unknown>;

export interface ContainedObject {
  /** Where it stands, for messages: `observed-data.objects.0`. */
  readonly at: string;
  /** The object as a standalone SCO. */
  readonly object: unknown;
}

/** A stand-in id per key: the key's object type and a UUID naming the key. */
function standInId(type: unknown, index: number): string {
  const name = typeof type === 'string' ? type : 'unknown';
  return `${name}--00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
}

function isReferenceName(name: string): boolean {
  return name.endsWith('_ref') || name.endsWith('_refs');
}

/** The container's objects as standalone SCOs, or the failure of a reference to no key. */
export function containedObjects(container: Obj): ContainedObject[] | string {
  const keys = Object.keys(container);
  const ids = new Map(keys.map((key, i) => [key, standInId((container[key] as Obj | null)?.['type'], i)]));
  let failure: string | undefined;
  const rewrite = (value: unknown, at: string, reference: boolean): unknown => {
    if (reference && typeof value === 'string') {
      const id = ids.get(value);
      if (id === undefined && !value.includes('--') && failure === undefined) {
        failure = `${at}: "${value.slice(0, 60)}" is not a key of observed-data.objects (references inside the container are local, S16)`;
      }
      return id ?? value;
    }
    if (Array.isArray(value)) return value.map((item, i) => rewrite(item, `${at}[${i}]`, reference));
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, rewrite(item, `${at}.${name}`, isReferenceName(name))]));
  };
  const contained = keys.map((key) => {
    const at = `observed-data.objects.${key}`;
    const value = container[key];
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { at, object: value };
    const object = rewrite(value, at, false) as Obj;
    return { at, object: { ...object, id: object['id'] ?? ids.get(key) } };
  });
  return failure ?? contained;
}
