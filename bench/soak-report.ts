/**
 * The soak's memory sampling (VmRSS from /proc, a whole process tree) and its
 * readable report. No decisions here: bench/soak.ts decides what fails.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Latency, SoakLoadResult } from './soak-load.js';
import { median } from './statistics.js';

export interface MemorySample {
  /** Seconds since the load started. */
  readonly t: number;
  /** VmRSS summed over the server process and its descendants (cluster workers), bytes. */
  readonly serverRss: number;
  readonly serverProcesses: number;
  /** VmRSS of each process of the server's tree, in the order of processTree (the primary first). */
  readonly serverRssByProcess: readonly number[];
  readonly loadRss: number;
}

function children(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((tid) => {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      return text === '' ? [] : text.split(/\s+/).map(Number);
    } catch {
      return [];
    }
  });
}

/** The process and every descendant of it that is alive now. */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i += 1) all.push(...children(all[i] as number));
  return all;
}

/** VmRSS of one process in bytes; 0 once it is gone. */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** The load process's VmRSS while it ran: not the sample taken as it started, nor one after it exited. */
export function loadRssWhileRunning(samples: readonly MemorySample[]): number[] {
  return samples.slice(1).map((s) => s.loadRss).filter((rss) => rss > 0);
}

export interface MemorySummary {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  /** Medians of the first and of the last third of the samples: growth shows as last > first. */
  readonly firstThirdMedian: number;
  readonly lastThirdMedian: number;
}

export function memorySummary(values: readonly number[]): MemorySummary {
  if (values.length === 0) return { min: 0, median: 0, max: 0, firstThirdMedian: 0, lastThirdMedian: 0 };
  const third = Math.max(1, Math.floor(values.length / 3));
  return {
    min: Math.min(...values),
    median: median(values),
    max: Math.max(...values),
    firstThirdMedian: median(values.slice(0, third)),
    lastThirdMedian: median(values.slice(-third)),
  };
}

export interface ServerLogSummary {
  readonly logErrors: number;
  readonly logWarnings: number;
  readonly logSamples: string[];
}

/** Error and warning lines of the server's pino log (LOG_LEVEL=warn), with the first few messages. */
export function serverLogSummary(path: string): ServerLogSummary {
  let logErrors = 0, logWarnings = 0;
  const logSamples: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let level = 60;
    let text = line;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      level = entry.level ?? 60;
      text = `${entry.msg ?? ''}${entry.err?.message === undefined ? '' : `: ${entry.err.message}`}`;
    } catch {
      // not pino: the stderr of a crash
    }
    if (level >= 50) logErrors += 1;
    else if (level >= 40) logWarnings += 1;
    else continue;
    if (logSamples.length < 10) logSamples.push(`${level >= 50 ? 'error' : 'warn'}: ${text}`);
  }
  return { logErrors, logWarnings, logSamples };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const n = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));
const latency = (l: Latency) => `${ms(l.p50)} / ${ms(l.p99)} / ${ms(l.max)} ms`;

function pad(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** Up to `count` samples spread evenly over the run, first and last included. */
function spread<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.round((i * (items.length - 1)) / (count - 1))] as T);
}

/** p50 / p99 by window of the run, for polls and pushes: a slowdown over time shows here. */
function latencyWindows(load: SoakLoadResult): string {
  const windows = spread(load.polls.windows.map((w, i) => ({ poll: w, push: load.pushes.windows[i] })), 10);
  return pad([
    ['from (s)', ...windows.map((w) => String(w.poll.from))],
    ['polls p50/p99 ms', ...windows.map((w) => `${ms(w.poll.p50)}/${ms(w.poll.p99)}`)],
    ['pushes p50/p99 ms', ...windows.map((w) => (w.push === undefined || w.push.count === 0 ? '-' : `${ms(w.push.p50)}/${ms(w.push.p99)}`))],
  ]);
}

/** With cluster workers: the largest sample's split over the processes, primary first. */
function byProcess(samples: readonly MemorySample[]): string[] {
  const largest = samples.reduce<MemorySample | undefined>((best, s) => (best === undefined || s.serverRss > best.serverRss ? s : best), undefined);
  if (largest === undefined || largest.serverProcesses < 2) return [];
  return [`server at its largest (t=${Math.round(largest.t)}s), by process, primary first: ${largest.serverRssByProcess.map(mb).join(' + ')}`];
}

export interface ReportInput {
  readonly heading: string;
  readonly load: SoakLoadResult;
  readonly samples: readonly MemorySample[];
  readonly server: ServerLogSummary & { readonly processesSeen: number; readonly problem: string | undefined };
  readonly failures: readonly string[];
  readonly out: string;
}

export function renderReport(r: ReportInput): string {
  const { load } = r;
  const seconds = load.pushSeconds + load.drainSeconds;
  const c = load.check;
  const errors = Object.entries(load.errors).sort((a, b) => b[1] - a[1]);
  const server = memorySummary(r.samples.map((s) => s.serverRss));
  const loader = memorySummary(loadRssWhileRunning(r.samples));
  const lines = [
    r.heading,
    '',
    pad([
      ['', 'polls', 'pushes'],
      ['requests', `${n(load.polls.requests)} (${(load.polls.requests / seconds).toFixed(1)}/s)`,
        `${n(load.pushes.requests)} (${(load.pushes.requests / load.pushSeconds).toFixed(2)}/s)` +
        `${load.pushes.missedSlots === 0 ? '' : `; ${n(load.pushes.missedSlots)} slots missed: posts outlasted the interval`}`],
      ['latency p50 / p99 / max', latency(load.polls.latencyMs), latency(load.pushes.latencyMs)],
      ['objects', `${n(load.polls.objects)} received (${n(load.polls.objects / seconds)}/s)`,
        `${n(load.pushes.objectsPosted)} posted, ${n(load.pushes.successes)} acknowledged (${n(load.pushes.alreadyPresent)} already present), ${n(load.pushes.rejected)} rejected`],
    ]),
    '',
    latencyWindows(load),
    '',
    `delivery: ${n(load.pushes.versionsAcknowledged)} versions acknowledged; ${n(c.expected)} (poller, version) pairs expected, ` +
      `${n(c.delivered)} delivered, lost ${n(c.lost)}, duplicated ${n(c.duplicated)}, leaked ${n(c.leaked)}, ` +
      `received without acknowledgement ${n(c.receivedUnacknowledged)}, foreign ${n(c.foreign)}`,
    `drain: ${load.drainSeconds.toFixed(1)} s${load.drained ? '' : ' (cut short by --drain: some pollers never finished a clean poll)'}`,
    ...Object.entries(c.samples).flatMap(([kind, list]) => list.map((s) => `  ${kind}: ${s}`)),
    ...load.pushes.rejectedSamples.map((s) => `  rejected: ${s}`),
    '',
    `errors by status: ${errors.length === 0 ? 'none' : errors.map(([k, v]) => {
      const [first, last] = load.errorSpans[k] ?? [0, 0];
      return `${k} × ${n(v)} (${first === last ? `at ${first}s` : `${first}s to ${last}s`})`;
    }).join(', ')}`,
    ...load.errorSamples.slice(0, 8).map((s) => `  ${s}`),
    `server log: ${r.server.logErrors} error and ${r.server.logWarnings} warning lines` +
      `${r.server.problem === undefined ? '' : `; the server ${r.server.problem}`}`,
    ...r.server.logSamples.slice(0, 5).map((s) => `  ${s.slice(0, 240)}`),
    '',
    pad([
      ['VmRSS', 'min', 'median', 'max', 'first third → last third (medians)'],
      [`server (${r.server.processesSeen} process${r.server.processesSeen === 1 ? '' : 'es'} seen)`, mb(server.min), mb(server.median), mb(server.max),
        `${mb(server.firstThirdMedian)} → ${mb(server.lastThirdMedian)}`],
      ['load generator', mb(loader.min), mb(loader.median), mb(loader.max), `${mb(loader.firstThirdMedian)} → ${mb(loader.lastThirdMedian)}`],
    ]),
    ...byProcess(r.samples),
    pad([
      ['t (s)', ...spread(r.samples, 9).map((s) => String(Math.round(s.t)))],
      ['server', ...spread(r.samples, 9).map((s) => mb(s.serverRss))],
      ['load', ...spread(r.samples, 9).map((s) => mb(s.loadRss))],
    ]),
    '',
    r.failures.length === 0 ? 'result: PASS' : `result: FAIL: ${r.failures.join('; ')}`,
    `figures: ${r.out}`,
  ];
  return lines.join('\n');
}
