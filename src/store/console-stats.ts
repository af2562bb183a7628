/**
 * Figures for the operators' overview (issue 15): what each collection stores and
 * at which TLP, how many partners there are and which were seen lately, and what
 * flowed in and out per day and partner. Read-only aggregates over the stored
 * versions and the audit trail, computed in SQL so that only the figures travel.
 */
import { DEFINITIONS_ALIAS } from '../policy/definitions.js';
import { TLP_LEVELS, type TlpName } from '../stix/tlp.js';
import { toNumber, type Db } from './db.js';
import { NOW_MICROS } from './sql-time.js';

const MICROS_PER_DAY = 86_400_000_000;
const MICROS_PER_HOUR = 3_600_000_000;

export interface CollectionFigures {
  readonly apiRoot: string;
  readonly id: string;
  readonly alias: string | null;
  readonly title: string;
  /** Distinct object ids stored. */
  readonly objects: number;
  /** Stored rows: every version, and every copy of a version (migration 0005). */
  readonly versions: number;
  /** The latest version of each object by its TLP marking; these and `unmarked` add up to `objects`. */
  readonly latestByTlp: Readonly<Record<TlpName, number>>;
  /** Latest versions without a TLP marking (served at the collection's default TLP). */
  readonly latestUnmarked: number;
}

export interface PartnerFigures {
  /** The database's clock when counted, in microseconds. */
  readonly at: number;
  /** Partners not removed. */
  readonly total: number;
  readonly active: number;
  readonly suspended: number;
  /** Partners not removed that pulled or pushed in the 24 hours before `at`. */
  readonly seenLast24h: number;
}

export interface TrafficQuery {
  /** UTC days, today included. */
  readonly days: number;
  readonly partner?: string;
  readonly collectionId?: string;
}

export interface TrafficDay {
  /** YYYY-MM-DD, UTC. */
  readonly day: string;
  readonly partner: string;
  /** Versions the partner pushed that were stored. */
  readonly received: number;
  /** Versions disclosed to the partner by its pulls. */
  readonly served: number;
}

export interface Traffic {
  /** Microseconds: midnight UTC of the first day. */
  readonly from: number;
  /** Microseconds: the database's clock when counted. */
  readonly until: number;
  /** By day, then partner; only days and partners with traffic. */
  readonly series: readonly TrafficDay[];
}

export interface PartnerActivity {
  readonly partner: string;
  /** Microseconds since the epoch; null when never. */
  readonly lastPull: number | null;
  readonly lastPush: number | null;
}

export interface Refusal {
  /** Microseconds since the epoch. */
  readonly at: number;
  readonly partner: string;
  readonly id: string;
  readonly version: string;
  readonly reason: string;
}

export interface ConsoleStats {
  /** Active collections of active API roots, by root, title and id; the definitions collection only when it holds objects. */
  collections(): Promise<CollectionFigures[]>;
  partners(): Promise<PartnerFigures>;
  traffic(query: TrafficQuery): Promise<Traffic>;
  /** When each partner that ever pulled or pushed last did so. */
  activity(): Promise<PartnerActivity[]>;
  /** The latest versions refused in a collection, newest first, with why (pushes recorded since issue 15 keep the reason). */
  refusals(collectionId: string, limit: number): Promise<Refusal[]>;
}

/**
 * The latest version of an object may be stored more than once (a copy per
 * submitter it was hidden from, migration 0005), each copy with its own marking:
 * the first stored copy counts, so that each object counts once.
 */
const COLLECTION_FIGURES = {
  name: 'console_collection_figures',
  text: `WITH latest AS (
      SELECT DISTINCT ON (v.collection_id, v.object_id) v.collection_id, v.tlp_level
      FROM object_versions v WHERE v.is_last
      ORDER BY v.collection_id, v.object_id, v.date_added),
    by_tlp AS (
      SELECT collection_id, count(*) AS objects,
        ${TLP_LEVELS.map((_, level) => `count(*) FILTER (WHERE tlp_level = ${level}) AS tlp_${level}`).join(', ')},
        count(*) FILTER (WHERE tlp_level IS NULL) AS unmarked
      FROM latest GROUP BY collection_id),
    stored AS (SELECT collection_id, count(*) AS versions FROM object_versions GROUP BY collection_id)
    SELECT c.api_root_id, c.id::text AS id, c.alias, c.title, coalesce(s.versions, 0) AS versions, coalesce(t.objects, 0) AS objects,
      ${TLP_LEVELS.map((_, level) => `coalesce(t.tlp_${level}, 0) AS tlp_${level}`).join(', ')}, coalesce(t.unmarked, 0) AS unmarked
    FROM collections c JOIN api_roots r ON r.id = c.api_root_id AND r.active
      LEFT JOIN stored s ON s.collection_id = c.id LEFT JOIN by_tlp t ON t.collection_id = c.id
    WHERE c.active AND (c.alias IS DISTINCT FROM '${DEFINITIONS_ALIAS}' OR s.versions > 0)
    ORDER BY c.api_root_id, c.title, c.id`,
};

/** One clock reading for the whole count: "the last 24 hours" ends when `at` says. */
const PARTNER_FIGURES = {
  name: 'console_partner_figures',
  text: `WITH clock AS (SELECT ${NOW_MICROS} AS at)
    SELECT clock.at,
      count(*) FILTER (WHERE p.status <> 'removed') AS total,
      count(*) FILTER (WHERE p.status = 'active') AS active,
      count(*) FILTER (WHERE p.status = 'suspended') AS suspended,
      count(*) FILTER (WHERE p.status <> 'removed' AND EXISTS (
        SELECT 1 FROM audit_events e
        WHERE e.actor = p.id AND e.at >= clock.at - ${24 * MICROS_PER_HOUR} AND e.actor_kind = 'partner' AND e.action IN ('pull', 'push'))) AS seen
    FROM clock LEFT JOIN partners p ON true
    GROUP BY clock.at`,
};

/**
 * The day of an event is its instant's UTC date, by integer division of
 * microseconds (no session time zone involved). A push counts its versions that
 * were stored (outcomes[i]); a pull every version it disclosed. The window's row
 * comes back even when nothing flowed (the series' columns then null).
 */
const TRAFFIC = {
  name: 'console_traffic',
  text: `WITH clock AS (SELECT ${NOW_MICROS} AS until),
    span AS (SELECT (until / ${MICROS_PER_DAY} - ($1::int - 1)) * ${MICROS_PER_DAY} AS since, until FROM clock)
    SELECT span.since, span.until, t.day, t.partner, t.received, t.served
    FROM span LEFT JOIN LATERAL (
      SELECT to_char(date '1970-01-01' + (e.at / ${MICROS_PER_DAY})::int, 'YYYY-MM-DD') AS day, e.actor AS partner,
        coalesce(sum(pushed.stored) FILTER (WHERE e.action = 'push'), 0) AS received,
        coalesce(sum(cardinality(e.versions)) FILTER (WHERE e.action = 'pull'), 0) AS served
      FROM audit_events e
        CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE o.outcome = 'stored') AS stored FROM unnest(e.outcomes) AS o(outcome)) pushed
      WHERE e.at >= span.since AND e.at <= span.until AND e.actor_kind = 'partner' AND e.action IN ('pull', 'push')
        AND ($2::text IS NULL OR e.actor = $2::text) AND ($3::uuid IS NULL OR e.collection_id = $3::uuid)
      GROUP BY 1, 2) t ON t.received > 0 OR t.served > 0
    ORDER BY t.day, t.partner`,
};

/** The index on (actor, at) answers each partner's latest events. */
const PARTNER_ACTIVITY = {
  name: 'console_partner_activity',
  text: `SELECT actor AS partner, max(at) FILTER (WHERE action = 'pull') AS last_pull, max(at) FILTER (WHERE action = 'push') AS last_push
    FROM audit_events WHERE actor_kind = 'partner' AND action IN ('pull', 'push')
    GROUP BY actor ORDER BY actor`,
};

/**
 * The collection's pushes that refused something, newest first by the (collection_id, at)
 * index, then each refused version with the reason the push recorded.
 */
const COLLECTION_REFUSALS = {
  name: 'console_collection_refusals',
  text: `SELECT e.at, e.actor, r.id, r.version, r.reason
    FROM (SELECT id, at, actor, detail FROM audit_events
          WHERE collection_id = $1 AND action = 'push' AND 'refused' = ANY (outcomes)
          ORDER BY at DESC, id DESC LIMIT $2) e
      CROSS JOIN LATERAL ROWS FROM (jsonb_to_recordset(coalesce(e.detail -> 'refusals', '[]'::jsonb)) AS (id text, version text, reason text))
        WITH ORDINALITY AS r(id, version, reason, n)
    ORDER BY e.at DESC, e.id DESC, r.n LIMIT $2`,
};

interface CollectionRow {
  api_root_id: string;
  id: string;
  alias: string | null;
  title: string;
  objects: unknown;
  versions: unknown;
  unmarked: unknown;
  [tlpColumn: `tlp_${number}`]: unknown;
}

interface PartnerRow {
  at: unknown;
  total: unknown;
  active: unknown;
  suspended: unknown;
  seen: unknown;
}

interface TrafficRow {
  since: unknown;
  until: unknown;
  day: string | null;
  partner: string | null;
  received: unknown;
  served: unknown;
}

function figuresOf(r: CollectionRow): CollectionFigures {
  const latestByTlp = Object.fromEntries(TLP_LEVELS.map((name, level) => [name, toNumber(r[`tlp_${level}`])])) as Record<TlpName, number>;
  return {
    apiRoot: r.api_root_id,
    id: r.id,
    alias: r.alias,
    title: r.title,
    objects: toNumber(r.objects),
    versions: toNumber(r.versions),
    latestByTlp,
    latestUnmarked: toNumber(r.unmarked),
  };
}

export function createConsoleStats(db: Db): ConsoleStats {
  return {
    async collections() {
      const rows = await db.query<CollectionRow>(COLLECTION_FIGURES.text, [], { name: COLLECTION_FIGURES.name });
      return rows.map(figuresOf);
    },

    async partners() {
      const rows = await db.query<PartnerRow>(PARTNER_FIGURES.text, [], { name: PARTNER_FIGURES.name });
      const row = rows[0] as PartnerRow;
      return {
        at: toNumber(row.at), total: toNumber(row.total), active: toNumber(row.active), suspended: toNumber(row.suspended), seenLast24h: toNumber(row.seen),
      };
    },

    async refusals(collectionId, limit) {
      const rows = await db.query<{ at: unknown; actor: string; id: string; version: string; reason: string }>(
        COLLECTION_REFUSALS.text, [collectionId, limit], { name: COLLECTION_REFUSALS.name },
      );
      return rows.map((r) => ({ at: toNumber(r.at), partner: r.actor, id: r.id, version: r.version, reason: r.reason }));
    },

    async activity() {
      const rows = await db.query<{ partner: string; last_pull: unknown; last_push: unknown }>(PARTNER_ACTIVITY.text, [], { name: PARTNER_ACTIVITY.name });
      const instant = (value: unknown) => (value === null ? null : toNumber(value));
      return rows.map((r) => ({ partner: r.partner, lastPull: instant(r.last_pull), lastPush: instant(r.last_push) }));
    },

    async traffic(query) {
      const rows = await db.query<TrafficRow>(TRAFFIC.text, [query.days, query.partner ?? null, query.collectionId ?? null], { name: TRAFFIC.name });
      const bounds = rows[0] as TrafficRow;
      const series = rows.flatMap((r) =>
        r.day === null || r.partner === null ? [] : [{ day: r.day, partner: r.partner, received: toNumber(r.received), served: toNumber(r.served) }]);
      return { from: toNumber(bounds.since), until: toNumber(bounds.until), series };
    },
  };
}
