/** Per collection what is stored and its TLP mix; what flowed in and out per day; the partners at a glance. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { TlpChart, TrafficChart } from '../charts.js';
import type { Overview, Traffic } from '../types.js';
import { Empty, ErrorMessage } from '../widgets.js';

/** The server's own readiness (/readyz: database, migrations, shutdown), in words. */
async function readiness(): Promise<string> {
  const res = await fetch('/readyz', { headers: { accept: 'application/json' } });
  const body = (await res.json()) as { status: string; checks: Record<string, string> };
  if (body.status === 'ready') return 'ready';
  return `not ready (${Object.entries(body.checks).filter(([, v]) => v !== 'ok').map(([k, v]) => `${k}: ${v}`).join('; ')})`;
}

export function OverviewPage() {
  const [overview, setOverview] = useState<Overview | undefined>(undefined);
  const [traffic, setTraffic] = useState<Traffic | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [health, setHealth] = useState<string>('…');
  useEffect(() => {
    Promise.all([api.get<Overview>('/overview'), api.get<Traffic>('/traffic?days=30')]).then(([o, t]) => {
      setOverview(o);
      setTraffic(t);
    }, setError);
    readiness().then(setHealth, () => setHealth('unreachable'));
  }, []);
  if (error !== undefined) return <ErrorMessage error={error} />;
  if (overview === undefined || traffic === undefined) return <p>Loading…</p>;
  const { partners } = overview;
  const collections = overview.collections.filter((c) => c.objects > 0);
  return (
    <>
      <h1>Overview</h1>
      <section aria-label="Partners" class="figures">
        <div><b>{partners.active}</b> active partners</div>
        <div><b>{partners.seen_last_24h}</b> seen in the last 24 hours</div>
        <div><b>{partners.suspended}</b> suspended</div>
        <div data-health>Server: <b>{health}</b></div>
      </section>
      <section>
        <h2>Traffic, last {traffic.days} days</h2>
        {traffic.series.length === 0 ? (
          <Empty>Nothing was pushed or pulled in the last {traffic.days} days. Traffic appears here as partners use the exchange.</Empty>
        ) : (
          <div class="charts">
            <TrafficChart traffic={traffic} measure="received" label="Versions received per day, by partner" />
            <TrafficChart traffic={traffic} measure="served" label="Versions served per day, by partner" />
          </div>
        )}
      </section>
      <section>
        <h2>Collections</h2>
        {collections.length === 0 ? (
          <Empty>No collection holds objects yet. Partners with write access add them by POST, or an operator imports them (taxii-exchange import).</Empty>
        ) : (
          <>
            <table>
              <thead>
                <tr><th scope="col">API root</th><th scope="col">Collection</th><th scope="col">Objects</th><th scope="col">Versions</th><th scope="col">TLP:RED</th></tr>
              </thead>
              <tbody>
                {collections.map((c) => (
                  <tr key={c.id}>
                    <td>{c.api_root}</td><td>{c.title} <small>{c.alias ?? c.id}</small></td><td>{c.objects}</td><td>{c.versions}</td><td>{c.tlp.red}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div class="charts">
              {collections.map((c) => <TlpChart key={c.id} tlp={c.tlp} label={`TLP mix of ${c.title} (${c.api_root})`} />)}
            </div>
          </>
        )}
      </section>
    </>
  );
}
