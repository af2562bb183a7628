/** The console's frame: the login gate, the navigation, and the page of the address's #fragment. */
import { useEffect, useState } from 'preact/hooks';
import { currentSession, logOut, type Session } from './api.js';
import { AuditPage } from './pages/audit.js';
import { CollectionsPage } from './pages/collections.js';
import { LoginPage } from './pages/login.js';
import { ObjectsPage } from './pages/objects.js';
import { OverviewPage } from './pages/overview.js';
import { PartnersPage } from './pages/partners.js';
import { ErrorMessage } from './widgets.js';

const PAGES = { overview: 'Overview', partners: 'Partners', collections: 'Collections', objects: 'Objects', audit: 'Audit' } as const;
type Page = keyof typeof PAGES;

function pageOf(hash: string): Page {
  const name = hash.replace(/^#\/?/, '');
  return name in PAGES ? (name as Page) : 'overview';
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [page, setPage] = useState<Page>(pageOf(location.hash));
  const [error, setError] = useState<unknown>(undefined);

  useEffect(() => {
    currentSession().then((s) => setSession(s ?? null), setError);
    const onHash = () => setPage(pageOf(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  if (error !== undefined) return <main><ErrorMessage error={error} /></main>;
  if (session === undefined) return <main><p>Loading…</p></main>;
  if (session === null) return <LoginPage onLogin={setSession} />;

  const out = async () => {
    try {
      await logOut();
      setSession(null);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <header>
        <strong>taxii-exchange</strong>
        <nav aria-label="Console pages">
          {(Object.keys(PAGES) as Page[]).map((p) => (
            <a key={p} href={`#/${p}`} aria-current={p === page ? 'page' : undefined}>{PAGES[p]}</a>
          ))}
        </nav>
        <span class="who">{session.admin}</span>
        <button type="button" onClick={out}>Log out</button>
      </header>
      <main>{{ overview: <OverviewPage />, partners: <PartnersPage />, collections: <CollectionsPage />, objects: <ObjectsPage />, audit: <AuditPage /> }[page]}</main>
    </>
  );
}
