/** A collection's objects: find by type or id, read each version as stored, and see why a partner does or does not receive it. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { collectionPath } from '../format.js';
import type { Collection, ObjectSummary, StoredVersion } from '../types.js';
import { Empty, ErrorMessage } from '../widgets.js';

const tlpText = (tlp: string | null, fallback: string) => (tlp === null ? `unmarked (counts as TLP:${fallback.toUpperCase()})` : `TLP:${tlp.toUpperCase()}`);

function Versions({ collection, id }: { collection: Collection; id: string }) {
  const [partner, setPartner] = useState('');
  const [versions, setVersions] = useState<readonly StoredVersion[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const load = (forPartner: string) =>
    api.get<{ versions: StoredVersion[] }>(`${collectionPath(collection)}/objects/${encodeURIComponent(id)}${forPartner === '' ? '' : `?partner=${encodeURIComponent(forPartner)}`}`).then((r) => {
      setVersions(r.versions);
      setError(undefined);
    }, setError);
  useEffect(() => void load(''), [collection.id, id]);
  return (
    <section aria-label={`Versions of ${id}`} class="versions">
      <h2>{id}</h2>
      <form class="inline" aria-label="Does a partner receive it?" onSubmit={(e) => { e.preventDefault(); void load(partner.trim()); }}>
        <label>Partner <input name="partner" value={partner} onInput={(e) => setPartner(e.currentTarget.value)} /></label>
        <button type="submit">Does it receive this?</button>
      </form>
      {error !== undefined && <ErrorMessage error={error} />}
      {versions?.map((v) => (
        <article key={`${v.version}-${v.date_added}`} class="version" data-version={v.version}>
          <h3>Version {v.version}</h3>
          <p>
            Added {v.date_added} by <b>{v.submitted_by}</b>; {tlpText(v.tlp, collection.default_tlp)}
            {v.granular_tlp !== null && <>; granular markings up to TLP:{v.granular_tlp.toUpperCase()}</>}
            {v.recipients !== null && <>; for partners {v.recipients.partners.join(', ') || 'none'} and communities {v.recipients.communities.join(', ') || 'none'}</>}.
          </p>
          {v.access !== undefined && (
            <p class={v.access.receives ? 'done' : 'refused'} role="status" data-access={v.access.partner}>
              {v.access.partner} {v.access.receives ? 'receives' : 'does not receive'} this version: {v.access.because}.
            </p>
          )}
          <pre>{JSON.stringify(v.object, null, 2)}</pre>
        </article>
      ))}
    </section>
  );
}

export function ObjectsPage() {
  const [collections, setCollections] = useState<readonly Collection[] | undefined>(undefined);
  const [chosen, setChosen] = useState('');
  const [type, setType] = useState('');
  const [id, setId] = useState('');
  const [objects, setObjects] = useState<readonly ObjectSummary[] | undefined>(undefined);
  const [open, setOpen] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    api.get<{ collections: Collection[] }>('/collections').then((r) => {
      setCollections(r.collections);
      setChosen(r.collections[0]?.id ?? '');
    }, setError);
  }, []);
  const collection = collections?.find((c) => c.id === chosen);
  const find = async (event: Event) => {
    event.preventDefault();
    if (collection === undefined) return;
    if (id.trim() !== '') {
      setOpen(id.trim());
      return;
    }
    try {
      const query = type.trim() === '' ? '' : `?type=${encodeURIComponent(type.trim())}`;
      setObjects((await api.get<{ objects: ObjectSummary[] }>(`${collectionPath(collection)}/objects${query}`)).objects);
      setOpen(undefined);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  };
  if (collections === undefined) return error === undefined ? <p>Loading…</p> : <ErrorMessage error={error} />;
  return (
    <>
      <h1>Objects</h1>
      <form class="inline" aria-label="Find objects" onSubmit={find}>
        <label>
          Collection
          <select name="collection" value={chosen} onChange={(e) => { setChosen(e.currentTarget.value); setObjects(undefined); setOpen(undefined); }}>
            {collections.map((c) => <option key={c.id} value={c.id}>{c.api_root} / {c.title}</option>)}
          </select>
        </label>
        <label>Type <input name="type" placeholder="indicator" value={type} onInput={(e) => setType(e.currentTarget.value)} /></label>
        <label>or id <input name="id" size={50} placeholder="indicator--…" value={id} onInput={(e) => setId(e.currentTarget.value)} /></label>
        <button type="submit">Find</button>
      </form>
      {error !== undefined && <ErrorMessage error={error} />}
      {objects !== undefined && open === undefined && (objects.length === 0 ? (
        <Empty>No objects{type.trim() === '' ? '' : ` of type ${type.trim()}`} in this collection.</Empty>
      ) : (
        <table>
          <thead><tr><th scope="col">Object</th><th scope="col">Latest version</th><th scope="col">Added</th><th scope="col">TLP</th></tr></thead>
          <tbody>
            {objects.map((o) => (
              <tr key={o.id}>
                <td><a href="#/objects" onClick={(e) => { e.preventDefault(); setOpen(o.id); }}>{o.id}</a></td>
                <td>{o.version}</td><td>{o.date_added}</td><td>{o.tlp === null ? 'unmarked' : o.tlp.toUpperCase()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      {open !== undefined && collection !== undefined && <Versions collection={collection} id={open} />}
    </>
  );
}
