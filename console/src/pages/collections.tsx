/** Collections: their settings and grants; grants are changed here (each change confirmed). */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { collectionPath, instant } from '../format.js';
import type { Collection, Grant } from '../types.js';
import { Empty, ErrorMessage } from '../widgets.js';

const rightsOf = (g: { read: boolean; write: boolean }) => [g.read && 'read', g.write && 'write'].filter(Boolean).join(' and ') || 'nothing';

function GrantRow({ collection, grant, onChanged }: { collection: Collection; grant: Grant; onChanged: (message: preact.ComponentChildren) => void }) {
  const fromFile = grant.managed_by !== 'administration';
  const change = async (rights: { read: boolean; write: boolean } | undefined) => {
    const what = rights === undefined ? `Revoke the grant of ${grant.to} on ${collection.title}?` : `Let ${grant.to} ${rightsOf(rights)} ${collection.title}?`;
    if (!confirm(what)) return;
    try {
      const path = `${collectionPath(collection)}/grants/${encodeURIComponent(grant.to)}`;
      if (rights === undefined) await api.delete(path);
      else await api.put(path, rights);
      onChanged(<p class="done" role="status">{rights === undefined ? `Grant of ${grant.to} revoked.` : `${grant.to} may now ${rightsOf(rights)} ${collection.title}.`}</p>);
    } catch (err) {
      onChanged(<ErrorMessage error={err} />);
    }
  };
  return (
    <tr data-grant={grant.to}>
      <td>{grant.to}</td>
      <td><input type="checkbox" aria-label={`${grant.to} reads`} checked={grant.read} disabled={fromFile} onChange={() => change({ read: !grant.read, write: grant.write })} /></td>
      <td><input type="checkbox" aria-label={`${grant.to} writes`} checked={grant.write} disabled={fromFile} onChange={() => change({ read: grant.read, write: !grant.write })} /></td>
      <td>{fromFile ? <small>in the configuration file</small> : <button type="button" onClick={() => change(undefined)}>Revoke</button>}</td>
    </tr>
  );
}

function AddGrant({ collection, onChanged }: { collection: Collection; onChanged: (message: preact.ComponentChildren) => void }) {
  const [grantee, setGrantee] = useState('');
  const [read, setRead] = useState(true);
  const [write, setWrite] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!confirm(`Let ${grantee} ${rightsOf({ read, write })} ${collection.title}?`)) return;
    try {
      await api.put(`${collectionPath(collection)}/grants/${encodeURIComponent(grantee)}`, { read, write });
      setGrantee('');
      onChanged(<p class="done" role="status">{grantee} may now {rightsOf({ read, write })} {collection.title}.</p>);
    } catch (err) {
      onChanged(<ErrorMessage error={err} />);
    }
  };
  return (
    <form class="inline" onSubmit={submit} aria-label={`Grant ${collection.title}`}>
      <label>Partner or @group <input name="grantee" required value={grantee} onInput={(e) => setGrantee(e.currentTarget.value)} /></label>
      <label class="check"><input type="checkbox" checked={read} onChange={() => setRead(!read)} /> read</label>
      <label class="check"><input type="checkbox" checked={write} onChange={() => setWrite(!write)} /> write</label>
      <button type="submit">Grant</button>
    </form>
  );
}

const TLP = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;

interface Refusal {
  readonly at: string;
  readonly partner: string;
  readonly id: string;
  readonly version: string;
  readonly reason: string;
}

/** What partners sent that was refused, and the reason each was given. */
function Refusals({ collection }: { collection: Collection }) {
  const [refusals, setRefusals] = useState<readonly Refusal[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const show = () => api.get<{ refusals: Refusal[] }>(`${collectionPath(collection)}/refusals?limit=20`).then((r) => setRefusals(r.refusals), setError);
  if (error !== undefined) return <ErrorMessage error={error} />;
  if (refusals === undefined) return <button type="button" onClick={show}>Show recent refusals</button>;
  if (refusals.length === 0) return <Empty>Nothing sent to this collection was refused.</Empty>;
  return (
    <table aria-label={`Recent refusals in ${collection.title}`}>
      <thead><tr><th scope="col">When</th><th scope="col">Partner</th><th scope="col">Object</th><th scope="col">Why</th></tr></thead>
      <tbody>
        {refusals.map((r, i) => (
          <tr key={i}><td>{instant(r.at)}</td><td>{r.partner}</td><td>{r.id}<br /><small>{r.version}</small></td><td class="reason">{r.reason}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

/** The sharing and validation settings of a collection, changed together. */
function EditSettings({ collection, onChanged }: { collection: Collection; onChanged: (message: preact.ComponentChildren) => void }) {
  const [defaultTlp, setDefaultTlp] = useState(collection.default_tlp);
  const [maxTlp, setMaxTlp] = useState(collection.max_tlp);
  const [validation, setValidation] = useState(collection.validation);
  const [granular, setGranular] = useState(collection.granular);
  const submit = async (event: Event) => {
    event.preventDefault();
    const changes = { default_tlp: defaultTlp, max_tlp: maxTlp, validation, granular };
    if (!confirm(`Change ${collection.title}: unmarked objects TLP:${defaultTlp.toUpperCase()}, at most TLP:${maxTlp.toUpperCase()}, validation ${validation}, granular ${granular}?`)) return;
    try {
      await api.patch(collectionPath(collection), changes);
      onChanged(<p class="done" role="status">Settings of {collection.title} saved.</p>);
    } catch (err) {
      onChanged(<ErrorMessage error={err} />);
    }
  };
  const select = (label: string, value: string, set: (v: string) => void, options: readonly string[], tlp = false) => (
    <label>
      {label}
      <select value={value} onChange={(e) => set(e.currentTarget.value)}>
        {options.map((o) => <option key={o} value={o}>{tlp ? `TLP:${o.toUpperCase()}` : o}</option>)}
      </select>
    </label>
  );
  return (
    <form class="inline" aria-label={`Settings of ${collection.title}`} onSubmit={submit}>
      {select('Unmarked objects count as', defaultTlp, setDefaultTlp, TLP, true)}
      {select('Highest TLP accepted', maxTlp, setMaxTlp, TLP, true)}
      {select('Validation', validation, setValidation, ['strict', 'standard', 'permissive'])}
      {select('Granular markings above a clearance', granular, setGranular, ['withhold', 'redact'])}
      <button type="submit">Save settings</button>
    </form>
  );
}

export function CollectionsPage() {
  const [collections, setCollections] = useState<readonly Collection[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [news, setNews] = useState<preact.ComponentChildren>(undefined);
  const load = () => api.get<{ collections: Collection[] }>('/collections').then((r) => setCollections(r.collections), setError);
  useEffect(() => void load(), []);
  const changed = (message: preact.ComponentChildren) => {
    setNews(message);
    void load();
  };
  if (error !== undefined) return <ErrorMessage error={error} />;
  if (collections === undefined) return <p>Loading…</p>;
  return (
    <>
      <h1>Collections</h1>
      {news}
      {collections.length === 0 && <Empty>No collections. Add them in the configuration file or with taxii-exchange collection add.</Empty>}
      {collections.map((c) => (
        <section key={c.id} class="collection" aria-label={`${c.title} (${c.api_root})`} data-collection={c.alias ?? c.id}>
          <h2>{c.title} <small>{c.api_root}/{c.alias ?? c.id}</small></h2>
          <p class="settings">
            Unmarked objects count as <b>TLP:{c.default_tlp.toUpperCase()}</b>; at most <b>TLP:{c.max_tlp.toUpperCase()}</b> is accepted; validation <b>{c.validation}</b>; granular markings: <b>{c.granular}</b>; managed by {c.managed_by}.
          </p>
          {c.managed_by === 'administration' && <EditSettings key={`${c.id}-${c.default_tlp}-${c.max_tlp}-${c.validation}-${c.granular}`} collection={c} onChanged={changed} />}
          {c.grants.length === 0 ? (
            <Empty>Nobody may read or write this collection yet.</Empty>
          ) : (
            <table>
              <thead><tr><th scope="col">Partner or group</th><th scope="col">Read</th><th scope="col">Write</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>{c.grants.map((g) => <GrantRow key={g.to} collection={c} grant={g} onChanged={changed} />)}</tbody>
            </table>
          )}
          <AddGrant collection={c} onChanged={changed} />
          <Refusals collection={c} />
        </section>
      ))}
    </>
  );
}
