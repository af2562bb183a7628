/** The audit trail: who received an object (every partner, version and time), what a partner pulled or pushed; CSV export. */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { AuditEvent } from '../types.js';
import { Empty, ErrorMessage } from '../widgets.js';

interface Row {
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly via: string;
  readonly collection: string;
  readonly object: string;
  readonly version: string;
  readonly outcome: string;
}

const COLUMNS: readonly (keyof Row)[] = ['at', 'actor', 'action', 'via', 'collection', 'object', 'version', 'outcome'];

/** One row per object version an event names (an administration change: one row). */
function rowsOf(events: readonly AuditEvent[]): Row[] {
  return events.flatMap((e) => {
    const base = { at: e.at, actor: e.actor, action: e.action, via: e.via, collection: e.collection === null ? '' : `${e.api_root ?? ''}/${e.collection}` };
    if (e.objects.length === 0) return [{ ...base, object: '', version: '', outcome: '' }];
    return e.objects.map((o) => ({ ...base, object: o.id, version: o.version ?? '', outcome: o.outcome ?? '' }));
  });
}

/** RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled; a leading = + - @ is defused for spreadsheets. */
function csvOf(rows: readonly Row[]): string {
  const field = (value: string) => {
    const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => field(r[c])).join(','))].join('\r\n') + '\r\n';
}

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function AuditPage() {
  const [object, setObject] = useState('');
  const [partner, setPartner] = useState('');
  const [since, setSince] = useState('');
  const [rows, setRows] = useState<readonly Row[] | undefined>(undefined);
  const [asked, setAsked] = useState('');
  const [error, setError] = useState<unknown>(undefined);

  const ask = async (event: Event, question: 'object' | 'partner') => {
    event.preventDefault();
    const query = new URLSearchParams({ limit: '1000' });
    if (question === 'object') query.set('object', object.trim());
    else {
      query.set('partner', partner.trim());
      if (since !== '') query.set('since', new Date(`${since}T00:00:00Z`).toISOString());
    }
    try {
      const answer = await api.get<{ events: AuditEvent[] }>(`/audit?${query.toString()}`);
      setRows(rowsOf(answer.events));
      setAsked(question === 'object' ? `Who received ${object.trim()}` : `What ${partner.trim()} pulled or pushed${since === '' ? '' : ` since ${since}`}`);
      setError(undefined);
    } catch (err) {
      setError(err);
      setRows(undefined);
    }
  };

  return (
    <>
      <h1>Audit</h1>
      <form class="inline" aria-label="Who received this object?" onSubmit={(e) => ask(e, 'object')}>
        <label>Object id <input name="object" size={60} required placeholder="indicator--…" value={object} onInput={(e) => setObject(e.currentTarget.value)} /></label>
        <button type="submit">Who received it?</button>
      </form>
      <form class="inline" aria-label="What did a partner pull or push?" onSubmit={(e) => ask(e, 'partner')}>
        <label>Partner <input name="partner" required value={partner} onInput={(e) => setPartner(e.currentTarget.value)} /></label>
        <label>Since <input name="since" type="date" value={since} onInput={(e) => setSince(e.currentTarget.value)} /></label>
        <button type="submit">What did it pull or push?</button>
      </form>
      {error !== undefined && <ErrorMessage error={error} />}
      {rows !== undefined && (
        <section aria-label="Audit results">
          <h2>{asked}</h2>
          {rows.length === 0 ? (
            <Empty>Nothing recorded.</Empty>
          ) : (
            <>
              <button type="button" onClick={() => download('audit.csv', csvOf(rows))}>Export as CSV</button>
              <table>
                <thead><tr>{COLUMNS.map((c) => <th key={c} scope="col">{c}</th>)}</tr></thead>
                <tbody>
                  {rows.map((r, i) => (
                    <tr key={i}>{COLUMNS.map((c) => <td key={c}>{r[c]}</td>)}</tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </section>
      )}
    </>
  );
}
