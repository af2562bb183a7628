/** Partners: the list, onboarding (the new key shown once), suspend and resume. */
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { instant } from '../format.js';
import { TrafficChart } from '../charts.js';
import type { NewKey, Partner, Traffic } from '../types.js';
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

/** When it last happened, or never. */
const when = (at: string | null | undefined) => (at === null || at === undefined ? 'never' : instant(at));

interface Activity {
  readonly partner: string;
  readonly last_pull: string | null;
  readonly last_push: string | null;
}

/** Clearance and communities, changed in place. */
function EditPartner({ partner, onDone }: { partner: Partner; onDone: (message: preact.ComponentChildren) => void }) {
  const [clearance, setClearance] = useState(partner.clearance);
  const [communities, setCommunities] = useState(partner.communities.join(', '));
  const submit = async (event: Event) => {
    event.preventDefault();
    const list = communities.split(',').map((c) => c.trim()).filter((c) => c !== '');
    if (!confirm(`Give ${partner.id} clearance ${clearance.toUpperCase()} and communities ${list.join(', ') || '(none)'}?`)) return;
    try {
      const changed = await api.patch<Partner>(`/partners/${encodeURIComponent(partner.id)}`, { clearance, communities: list });
      onDone(<p class="done" role="status">Partner {changed.id} now has clearance {changed.clearance.toUpperCase()} and communities {changed.communities.join(', ') || '(none)'}.</p>);
    } catch (err) {
      onDone(<ErrorMessage error={err} />);
    }
  };
  return (
    <form class="inline" aria-label={`Edit ${partner.id}`} onSubmit={submit}>
      <label>
        Clearance of {partner.id}
        <select value={clearance} onChange={(e) => setClearance(e.currentTarget.value)}>
          {CLEARANCES.map((c) => <option key={c} value={c}>{c.toUpperCase()}</option>)}
        </select>
      </label>
      <label>Communities of {partner.id} <input value={communities} onInput={(e) => setCommunities(e.currentTarget.value)} /></label>
      <button type="submit">Save</button>
    </form>
  );
}

/** What one partner sent and received per day over 30 days. */
function PartnerTraffic({ partner }: { partner: Partner }) {
  const [traffic, setTraffic] = useState<Traffic | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    api.get<Traffic>(`/traffic?days=30&partner=${encodeURIComponent(partner.id)}`).then(setTraffic, setError);
  }, [partner.id]);
  if (error !== undefined) return <ErrorMessage error={error} />;
  if (traffic === undefined) return <p>Loading…</p>;
  if (traffic.series.length === 0) return <Empty>{partner.id} sent and received nothing in the last 30 days.</Empty>;
  return (
    <div class="charts" data-traffic={partner.id}>
      <TrafficChart traffic={traffic} measure="received" label={`Versions ${partner.id} sent per day (stored)`} />
      <TrafficChart traffic={traffic} measure="served" label={`Versions ${partner.id} received per day`} />
    </div>
  );
}

/** A new key, then the partner's other keys revoked: what a leaked key calls for. */
async function rotateKey(partner: Partner): Promise<NewKey> {
  const issued = await api.post<{ key: NewKey }>(`/partners/${encodeURIComponent(partner.id)}/keys`, {});
  const detail = await api.get<{ keys: { id: string; revoked: string | null }[] }>(`/partners/${encodeURIComponent(partner.id)}`);
  for (const key of detail.keys) {
    if (key.id !== issued.key.id && key.revoked === null) await api.delete(`/partners/${encodeURIComponent(partner.id)}/keys/${encodeURIComponent(key.id)}`);
  }
  return issued.key;
}

export function PartnersPage() {
  const [partners, setPartners] = useState<readonly Partner[] | undefined>(undefined);
  const [activity, setActivity] = useState<ReadonlyMap<string, Activity>>(new Map());
  const [error, setError] = useState<unknown>(undefined);
  const [news, setNews] = useState<preact.ComponentChildren>(undefined);
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const [charted, setCharted] = useState<string | undefined>(undefined);
  const load = () =>
    Promise.all([api.get<{ partners: Partner[] }>('/partners'), api.get<{ partners: Activity[] }>('/activity')]).then(([p, a]) => {
      setPartners(p.partners);
      setActivity(new Map(a.partners.map((x) => [x.partner, x])));
    }, setError);
  useEffect(() => void load(), []);

  const rotate = async (partner: Partner) => {
    if (!confirm(`Rotate the key of ${partner.id}? A new key is made and its other keys stop working at once.`)) return;
    try {
      const key = await rotateKey(partner);
      setNews(
        <div class="done" role="status">
          <p>New key for {partner.id}, shown this once; its other keys are revoked:</p>
          <p><code data-new-key={partner.id}>{key.secret}</code></p>
        </div>,
      );
    } catch (err) {
      setNews(<ErrorMessage error={err} />);
    }
  };

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
            <tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Clearance</th><th scope="col">Communities</th><th scope="col">Last pull</th><th scope="col">Last push</th><th scope="col">Managed by</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {partners.map((p) => {
              const seen = activity.get(p.id);
              const managed = p.managed_by === 'administration';
              return (
                <Fragment key={p.id}>
                  <tr data-partner={p.id}>
                    <td>{p.id}</td><td>{p.name}</td><td>{p.status}</td><td>{p.clearance.toUpperCase()}</td><td>{p.communities.join(', ')}</td>
                    <td>{when(seen?.last_pull)}</td><td>{when(seen?.last_push)}</td><td>{p.managed_by}</td>
                    <td>
                      <div class="actions">
                        {managed && p.status === 'active' && <button type="button" onClick={() => setStatus(p, 'suspended')}>Suspend</button>}
                        {managed && p.status === 'suspended' && <button type="button" onClick={() => setStatus(p, 'active')}>Resume</button>}
                        {managed && <button type="button" aria-expanded={editing === p.id} onClick={() => setEditing(editing === p.id ? undefined : p.id)}>Edit</button>}
                        {managed && <button type="button" onClick={() => rotate(p)}>Rotate key</button>}
                        <button type="button" aria-expanded={charted === p.id} onClick={() => setCharted(charted === p.id ? undefined : p.id)}>Traffic</button>
                      </div>
                    </td>
                  </tr>
                  {charted === p.id && (
                    <tr>
                      <td colSpan={9}><PartnerTraffic partner={p} /></td>
                    </tr>
                  )}
                  {editing === p.id && (
                    <tr>
                      <td colSpan={9}>
                        <EditPartner partner={p} onDone={(message) => { setNews(message); setEditing(undefined); void load(); }} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
