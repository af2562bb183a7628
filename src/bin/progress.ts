/**
 * How an import shows its progress: a bar redrawn in place on a terminal, plain
 * lines (at most one every few seconds, and the last) when the output is a file
 * or a pipe, where a redrawn bar would be noise.
 */
import type { ImportProgress } from '../admin/transfers.js';

const BAR_WIDTH = 30;
const REDRAW_MS = 100;
const LINE_EVERY_MS = 5000;

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  return `${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(s % 60).padStart(2, '0')}`;
}

/** `1200/2400 objects 50% 850/s ETA 0:01` and, for a terminal, the bar before it. */
export function describeProgress(p: ImportProgress, bar: boolean): string {
  const fraction = p.total === 0 ? 1 : Math.min(1, p.done / p.total);
  const rate = p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0;
  const eta = rate > 0 ? clock((p.total - p.done) / rate) : '?';
  const filled = Math.round(fraction * BAR_WIDTH);
  const head = bar ? `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ` : 'progress: ';
  const tail = p.done >= p.total ? `in ${clock(p.elapsedMs / 1000)}` : `ETA ${eta}`;
  return `${head}${p.done}/${p.total} objects ${Math.floor(fraction * 100)}% ${Math.round(rate)}/s ${tail} (${p.stored} stored, ${p.present} present, ${p.refused} refused)`;
}

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): boolean;
}

/** A progress callback that draws on `stream`. */
export function progressReporter(stream: ProgressStream, now: () => number = Date.now): (p: ImportProgress) => void {
  let last = -Infinity;
  return (p) => {
    const finished = p.done >= p.total;
    const t = now();
    if (!finished && t - last < (stream.isTTY === true ? REDRAW_MS : LINE_EVERY_MS)) return;
    last = t;
    if (stream.isTTY === true) stream.write(`\r\x1b[K${describeProgress(p, true)}${finished ? '\n' : ''}`);
    else stream.write(`${describeProgress(p, false)}\n`);
  };
}
