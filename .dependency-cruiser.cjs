/**
 * The layers of ../shared/STYLE.md, highest first: a module may import its own layer
 * and the layers below it, never one above (`npm test` runs this check first).
 * A newcomer's map: where a new endpoint, query, policy rule or setting goes is in
 * the README's "Project layout".
 */
const LAYERS = [
  { name: 'entry points', path: '^src/(server|app|reload|startup|workers|metrics-cluster|metrics-listener)\\.ts$|^src/bin/' },
  { name: 'http', path: '^src/http/' },
  { name: 'admin', path: '^src/admin/' },
  { name: 'ingest', path: '^src/ingest\\.ts$' },
  { name: 'store', path: '^src/store/' },
  { name: 'auth', path: '^src/auth/' },
  { name: 'policy', path: '^src/policy/' },
  { name: 'taxii', path: '^src/taxii/' },
  { name: 'config', path: '^src/config/' },
  { name: 'stix', path: '^src/stix/' },
  { name: 'errors and paths', path: '^src/(errors|paths)\\.ts$' },
];

const upward = LAYERS.slice(1).map((layer, i) => ({
  name: `no-upward-from-${layer.name.replace(/ /g, '-')}`,
  comment: `${layer.name} sits below ${LAYERS.slice(0, i + 1).map((l) => l.name).join(', ')}: it must not import them`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: LAYERS.slice(0, i + 1).map((l) => l.path).join('|') },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'every-module-in-a-layer',
      comment: 'a new folder or top-level file gets its place in LAYERS',
      severity: 'error',
      from: { path: '^src/', pathNot: LAYERS.map((l) => l.path).join('|') },
      to: {},
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'database-drivers-only-in-db',
      comment: 'everything else talks to the Db port (src/store/db.ts)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/store/db\\.ts$' },
      to: { path: 'node_modules/(pg|@electric-sql/pglite)/' },
    },
    {
      name: 'fastify-only-on-top',
      comment: 'the HTTP framework stays in http/ and the entry points',
      severity: 'error',
      from: { path: '^src/', pathNot: `${LAYERS[0].path}|${LAYERS[1].path}` },
      to: { path: 'node_modules/(fastify|@fastify/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
