import type { MachineInfo } from '../lib/report.js';
import type { WaitingRoomStep } from '../scenarios/waiting-room.js';

// The scaling plot of the waiting room (written by the bench, committed under docs/): server
// memory per 1,000 sockets, queue:status push interval and admission-notice latency against the
// number of waiting sockets. Plain SVG, no dependencies.

interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

const W = 760;
const PANEL_H = 220;
const M = { left: 70, right: 170, top: 34, bottom: 40 };

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round step (1, 2, 2.5, 5 x 10^k) giving about `ticks` ticks up to at least `v`. */
function niceStep(v: number, ticks: number): number {
  const raw = (v > 0 ? v : 1) / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

const niceMax = (v: number, ticks: number) =>
  niceStep(v, ticks) * Math.ceil((v > 0 ? v : 1) / niceStep(v, ticks));

const fmt = (n: number) =>
  n >= 1000 ? `${Math.round(n / 100) / 10}k`.replace('.0k', 'k') : String(Math.round(n * 10) / 10);

function panel(
  y0: number,
  title: string,
  unit: string,
  xMax: number,
  series: Series[],
  floorMax = 0,
): string {
  const h = PANEL_H - M.top - M.bottom;
  const w = W - M.left - M.right;
  const yTop = Math.max(floorMax, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const yStep = niceStep(yTop, 4);
  const yMax = niceMax(yTop, 4);
  const x = (v: number) => M.left + (v / xMax) * w;
  const y = (v: number) => y0 + M.top + h - (Math.min(v, yMax) / yMax) * h;
  const parts: string[] = [
    `<text x="${M.left}" y="${y0 + 20}" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    parts.push(
      `<line x1="${M.left}" x2="${M.left + w}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${M.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  for (let v = 0; v <= xMax + 1e-9; v += niceStep(xMax, 5)) {
    parts.push(
      `<line x1="${x(v)}" x2="${x(v)}" y1="${y0 + M.top + h}" y2="${y0 + M.top + h + 4}" stroke="#333"/>`,
      `<text x="${x(v)}" y="${y0 + M.top + h + 16}" font-size="11" text-anchor="middle">${fmt(v)}</text>`,
    );
  }
  parts.push(
    `<line x1="${M.left}" x2="${M.left}" y1="${y0 + M.top}" y2="${y0 + M.top + h}" stroke="#333"/>`,
    `<line x1="${M.left}" x2="${M.left + w}" y1="${y0 + M.top + h}" y2="${y0 + M.top + h}" stroke="#333"/>`,
    `<text x="${M.left + w / 2}" y="${y0 + PANEL_H - 6}" font-size="11" text-anchor="middle">waiting sockets (all instances)</text>`,
    `<text x="14" y="${y0 + M.top + h / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 14 ${y0 + M.top + h / 2})">${esc(unit)}</text>`,
  );
  series.forEach((s, k) => {
    const pts = s.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts}"/>`,
    );
    if (!s.dashed)
      for (const [a, b] of s.points)
        parts.push(
          `<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="3.5" fill="${s.color}"/>`,
        );
    const ly = y0 + M.top + 8 + k * 18;
    parts.push(
      `<line x1="${W - M.right + 14}" x2="${W - M.right + 38}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${W - M.right + 44}" y="${ly + 4}" font-size="11">${esc(s.name)}</text>`,
    );
  });
  return parts.join('\n');
}

export function renderScalingSvg(
  steps: WaitingRoomStep[],
  meta: { instances: number; size: string; machine: MachineInfo },
): string {
  const xs = steps.map((s) => s.waitingSockets);
  const xMax = niceMax(Math.max(...xs) * 1.05, 5);
  const at = (f: (s: WaitingRoomStep) => number): [number, number][] =>
    steps.map((s) => [s.waitingSockets, f(s)]);
  const flat = (v: number): [number, number][] => [
    [0, v],
    [xMax, v],
  ];
  const panels = [
    panel(30, 'Server memory, all instances together', 'MiB (sum of instances)', xMax, [
      {
        name: 'RSS',
        color: '#1f77b4',
        points: at((s) => sum(s.memory.rssMiB)),
      },
      {
        name: 'heap+ext. after GC',
        color: '#9467bd',
        points: at((s) => sum(s.memory.heapMiB)),
      },
    ]),
    panel(
      30 + PANEL_H,
      'Interval between queue:status pushes, per waiting fan',
      'ms',
      xMax,
      [
        { name: 'p50', color: '#2ca02c', points: at((s) => s.pushIntervalP50Ms) },
        { name: 'p99', color: '#ff7f0e', points: at((s) => s.pushIntervalP99Ms) },
        { name: 'max', color: '#d62728', points: at((s) => s.pushIntervalMaxMs) },
        { name: 'target 2,000 ms', color: '#777', points: flat(2000), dashed: true },
      ],
      2200,
    ),
    panel(
      30 + 2 * PANEL_H,
      'queue:admitted after the admitting tick',
      'ms',
      xMax,
      [
        { name: 'p50', color: '#2ca02c', points: at((s) => s.admissionNoticeP50Ms || 0) },
        { name: 'p99', color: '#ff7f0e', points: at((s) => s.admissionNoticeP99Ms || 0) },
        { name: 'target 250 ms', color: '#777', points: flat(250), dashed: true },
      ],
      300,
    ),
  ];
  const height = 30 + 3 * PANEL_H + 10;
  const m = meta.machine;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${M.left}" y="20" font-size="12" fill="#444">Lineup waiting room, ${meta.instances} instances, npm run bench (size ${esc(meta.size)}) on ${m.cpus} cores (${esc(m.cpuModel)}), Node ${esc(m.node)}</text>`,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}
