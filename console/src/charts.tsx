/**
 * Charts drawn by uPlot (a small, fast canvas charting library): the traffic per day,
 * stacked by partner, and the TLP mix of a collection.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TlpName, Traffic } from './types.js';

const PALETTE = ['#2f6fb0', '#d9822b', '#3b9c5a', '#9c4fb0', '#b03b3b', '#5a6b7a', '#b0a02f', '#2fb0a6'];

const TLP_COLOURS: Readonly<Record<TlpName, string>> = {
  clear: '#9aa5b1', green: '#3b9c5a', amber: '#e0a100', 'amber+strict': '#c46a00', red: '#c0392b', none: '#d5dbe1',
};

function useChart(build: (element: HTMLElement, width: number) => uPlot, deps: readonly unknown[]) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = ref.current;
    if (element === null) return undefined;
    const chart = build(element, Math.max(280, element.clientWidth));
    const resize = () => chart.setSize({ width: Math.max(280, element.clientWidth), height: chart.height });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.destroy();
    };
  }, deps);
  return ref;
}

/** Days of the period, oldest first, as UTC midnights in seconds. */
function daysOf(traffic: Traffic): number[] {
  const first = Date.parse(`${traffic.from.slice(0, 10)}T00:00:00Z`);
  return Array.from({ length: traffic.days }, (_, i) => (first + i * 86_400_000) / 1000);
}

/** Versions received (or served) per day, one stacked band per partner. */
export function TrafficChart({ traffic, measure, label }: { traffic: Traffic; measure: 'received' | 'served'; label: string }) {
  const ref = useChart(
    (element, width) => {
      const days = daysOf(traffic);
      const partners = [...new Set(traffic.series.filter((d) => d[measure] > 0).map((d) => d.partner))].sort();
      const index = new Map(days.map((t, i) => [new Date(t * 1000).toISOString().slice(0, 10), i]));
      const values = partners.map(() => days.map(() => 0));
      for (const d of traffic.series) {
        const row = values[partners.indexOf(d.partner)];
        const i = index.get(d.day);
        if (row !== undefined && i !== undefined) row[i] = (row[i] ?? 0) + d[measure];
      }
      // Stacked: each band is drawn at the sum of itself and the bands below it.
      const stacked = values.map((_, p) => days.map((__, i) => values.slice(0, p + 1).reduce((sum, row) => sum + (row[i] ?? 0), 0)));
      const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
      const bands: uPlot.Series[] = partners.map((partner, p) => {
        const colour = PALETTE[p % PALETTE.length] ?? '#888';
        return { label: partner, fill: colour, stroke: colour, ...(bars !== undefined && { paths: bars }), points: { show: false } };
      });
      // The tallest band first, so that each lower one is drawn over it.
      const series: uPlot.Series[] = [{}, ...bands.reverse()];
      const data: uPlot.AlignedData = [days, ...stacked.reverse()];
      return new uPlot({ title: label, width, height: 260, series, axes: [{}, { label: 'versions' }], scales: { x: { time: true } } }, data, element);
    },
    [traffic, measure],
  );
  return <div class="chart" ref={ref} role="img" aria-label={label} data-chart={measure} />;
}

/** How many objects (their latest versions) carry each TLP level. */
export function TlpChart({ tlp, label }: { tlp: Readonly<Record<TlpName, number>>; label: string }) {
  const names = Object.keys(TLP_COLOURS) as TlpName[];
  const ref = useChart(
    (element, width) => {
      const bars = uPlot.paths.bars?.({ size: [0.6, 60] });
      const data: uPlot.AlignedData = [names.map((_, i) => i), names.map((n) => tlp[n])];
      return new uPlot(
        {
          title: label,
          width,
          height: 200,
          scales: { x: { time: false, range: [-0.5, names.length - 0.5] } },
          axes: [
            // One tick per level, each named (uPlot would otherwise thin them out).
            { splits: () => names.map((_, i) => i), values: (_u, ticks) => ticks.map((t) => (names[t] ?? '').toUpperCase().replace('AMBER+STRICT', 'A+S')), font: '11px system-ui', gap: 4 },
            { label: 'objects' },
          ],
          series: [{}, { label: 'objects', fill: (u) => barGradient(u), stroke: '#444', ...(bars !== undefined && { paths: bars }), points: { show: false } }],
          legend: { show: false },
        },
        data,
        element,
      );
    },
    [tlp],
  );
  const barGradient = (u: uPlot): CanvasGradient | string => {
    // One colour per bar: a horizontal gradient with hard stops at the bars' edges.
    const context = u.ctx;
    const left = u.valToPos(-0.5, 'x', true);
    const right = u.valToPos(names.length - 0.5, 'x', true);
    const gradient = context.createLinearGradient(left, 0, right, 0);
    names.forEach((n, i) => {
      gradient.addColorStop(i / names.length, TLP_COLOURS[n]);
      gradient.addColorStop((i + 1) / names.length, TLP_COLOURS[n]);
    });
    return gradient;
  };
  return <div class="chart" ref={ref} role="img" aria-label={`${label}: ${names.map((n) => `${n} ${tlp[n]}`).join(', ')}`} data-chart="tlp" />;
}
