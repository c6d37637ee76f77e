// The admission-rate chart: one bar per history bucket, drawn as inline SVG by hand (a few
// rectangles and lines; a chart library would outweigh the whole console).
import type { AdminQueueStats } from '@lineup/client-sdk';
import { h } from '../dom.js';
import { am } from './messages.js';

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 600;
const HEIGHT = 140;
/** Bars always leave room for a full history, so the chart fills up from the right. */
const SLOTS = 30;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Per-minute rates of the buckets, oldest first. */
export function ratesPerMinute(history: AdminQueueStats['admissionHistory']): number[] {
  const scale = 60 / history.bucketSeconds;
  return history.buckets.map((b) => Math.round(b.admitted * scale));
}

export function rateChart(history: AdminQueueStats['admissionHistory'], limit: number) {
  const t = am();
  const rates = ratesPerMinute(history).slice(-SLOTS);
  const seconds = Math.round(SLOTS * history.bucketSeconds);
  const peak = Math.max(0, ...rates);
  // The policy's limit is drawn when it is within reach of the bars (else it flattens them).
  const showLimit = limit <= Math.max(peak, 1) * 1.5;
  const top = Math.max(1, peak, showLimit ? limit : 0) * 1.1;
  const graph = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    preserveAspectRatio: 'none',
    role: 'img',
    'aria-label': `${t.chartTitle(seconds)}: ${rates.join(', ') || '—'}`,
    class: 'rate-chart',
  });
  graph.append(
    svg('line', { x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5, class: 'axis' }),
  );
  const slot = WIDTH / SLOTS;
  rates.forEach((rate, i) => {
    const height = Math.max(rate > 0 ? 2 : 0, (rate / top) * HEIGHT);
    const x = (SLOTS - rates.length + i) * slot;
    const bar = svg('rect', {
      x: x + slot * 0.12,
      y: HEIGHT - height,
      width: slot * 0.76,
      height,
      class: i === rates.length - 1 ? 'bar latest' : 'bar',
    });
    bar.append(svg('title', {}));
    bar.firstChild!.textContent = `${rate}/min`;
    graph.append(bar);
  });
  if (showLimit) {
    const y = HEIGHT - (limit / top) * HEIGHT;
    graph.append(svg('line', { x1: 0, y1: y, x2: WIDTH, y2: y, class: 'limit' }));
  }
  return h(
    'figure',
    { class: 'chart', 'data-testid': 'rate-chart', 'data-bars': rates.length },
    h(
      'figcaption',
      null,
      h('span', null, t.chartTitle(seconds)),
      rates.length > 0 && h('span', { class: 'peak' }, t.chartPeak(peak.toLocaleString())),
      showLimit && h('span', { class: 'limit-key' }, t.chartLimit(limit.toLocaleString())),
    ),
    rates.length > 0 ? graph : h('p', { class: 'muted' }, t.chartEmpty),
  );
}
