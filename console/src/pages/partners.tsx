/** Partners: the list, onboarding (the new key shown once), suspend and resume. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { NewKey, Partner } from '../types.js';
import { Empty, ErrorMessage } from '../widgets.js';

const CLEARANCES = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;

function AddPartner({ onAdded }: { onAdded: (partner: Partner, key: NewKey) => void }) {
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [clearance, setClearance] = useState<string>('green');
  const [communities, setCommunities] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    const list = communities.split(',').map((c) => c.trim()).filter((c) => c !== '');
    if (!confirm(`Add partner ${id} (${name}) with clearance ${clearance.toUpperCase()}?`)) return;
    try {
      const added = await api.post<{ partner: Partner; key: NewKey }>('/partners', { id, name, clearance, ...(list.length > 0 && { communities: list }) });
      setError(undefined);
      onAdded(added.partner, added.key);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="inline" onSubmit={submit} aria-label="Add a partner">
      <label>Id <input name="id" required pattern="[A-Za-z0-9_.\-]{1,64}" value={id} onInput={(e) => setId(e.currentTarget.value)} /></label>
      <label>Name <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
      <label>
        Clearance
        <select name="clearance" value={clearance} onChange={(e) => setClearance(e.currentTarget.value)}>
          {CLEARANCES.map((c) => <option key={c} value={c}>{c.toUpperCase()}</option>)}
        </select>
      </label>
      <label>Communities <input name="communities" placeholder="eu, nato" value={communities} onInput={(e) => setCommunities(e.currentTarget.value)} /></label>
      <button type="submit">Add partner</button>
      {error !== undefined && <ErrorMessage error={error} />}
    </form>
  );
}

export function PartnersPage() {
  const [partners, setPartners] = useState<readonly Partner[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [news, setNews] = useState<preact.ComponentChildren>(undefined);
  const load = () => api.get<{ partners: Partner[] }>('/partners').then((r) => setPartners(r.partners), setError);
  useEffect(() => void load(), []);

  const setStatus = async (partner: Partner, status: 'active' | 'suspended') => {
    const verb = status === 'suspended' ? 'Suspend' : 'Resume';
    if (!confirm(`${verb} partner ${partner.id}? ${status === 'suspended' ? 'Its next request will be refused.' : 'Its keys work again.'}`)) return;
    try {
      const changed = await api.patch<Partner>(`/partners/${encodeURIComponent(partner.id)}`, { status });
      setNews(<p class="done" role="status">Partner {changed.id} is {changed.status}.</p>);
      await load();
    } catch (err) {
      setNews(<ErrorMessage error={err} />);
    }
  };

  if (error !== undefined) return <ErrorMessage error={error} />;
  if (partners === undefined) return <p>Loading…</p>;
  return (
    <>
      <h1>Partners</h1>
      <AddPartner
        onAdded={(partner, key) => {
          setNews(
            <div class="done" role="status">
              <p>Partner {partner.id} added. Its API key is shown this once; hand it over now:</p>
              <p><code data-new-key={partner.id}>{key.secret}</code></p>
            </div>,
          );
          void load();
        }}
      />
      {news}
      {partners.length === 0 ? (
        <Empty>No partners yet. Add one above; it then needs grants to collections.</Empty>
      ) : (
        <table>
          <thead>
            <tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Clearance</th><th scope="col">Communities</th><th scope="col">Managed by</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {partners.map((p) => (
              <tr key={p.id} data-partner={p.id}>
                <td>{p.id}</td><td>{p.name}</td><td>{p.status}</td><td>{p.clearance.toUpperCase()}</td><td>{p.communities.join(', ')}</td><td>{p.managed_by}</td>
                <td>
                  {p.managed_by === 'administration' && p.status === 'active' && <button type="button" onClick={() => setStatus(p, 'suspended')}>Suspend</button>}
                  {p.managed_by === 'administration' && p.status === 'suspended' && <button type="button" onClick={() => setStatus(p, 'active')}>Resume</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
