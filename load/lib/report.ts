import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { Histogram, type LatencySummary } from './histogram.js';

/** Latencies and outcomes of one kind of operation (join, hold, pay...). */
export class OpStats {
  readonly latency = new Histogram();
  ok = 0;
  readonly errors: Record<string, number> = {};

  record(ms: number, error?: string): void {
    this.latency.record(ms);
    if (error === undefined) this.ok++;
    else this.errors[error] = (this.errors[error] ?? 0) + 1;
  }

  get count(): number {
    return this.latency.count;
  }

  get errorCount(): number {
    return Object.values(this.errors).reduce((a, b) => a + b, 0);
  }
}

export interface OpSummary {
  count: number;
  ok: number;
  /** Completed operations per second over the phase that ran them. */
  throughput: number;
  latencyMs: LatencySummary;
  errors: Record<string, number>;
}

export function summarizeOp(op: OpStats, seconds: number): OpSummary {
  return {
    count: op.count,
    ok: op.ok,
    throughput: round(seconds > 0 ? op.count / seconds : 0),
    latencyMs: op.latency.summary(),
    errors: { ...op.errors },
  };
}

/** What every scenario returns and writes as JSON. */
export interface ScenarioResult {
  scenario: string;
  startedAt: string;
  durationSeconds: number;
  params: Record<string, unknown>;
  /** Per operation: count, throughput, percentiles, errors by code. */
  ops: Record<string, OpSummary>;
  /** Scenario-specific figures (admission latency, push intervals, holds, memory...). */
  figures: Record<string, unknown>;
  /** Extra tables for the printed summary (e.g. one row per waiting-room step). */
  tables?: Record<string, { header: string[]; rows: (string | number)[][] }>;
  machine?: MachineInfo;
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export const round = (n: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

const fmt = (n: number | null | undefined, digits = 1) =>
  n === null || n === undefined || Number.isNaN(n)
    ? '-'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits });

/** A plain-text table: header row, then rows; columns padded to their widest cell. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[]) =>
    r
      .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!)))
      .join('  ');
  return [
    line(cells[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

/** The summary table of one scenario: one row per operation, then its own figures. */
export function formatResult(result: ScenarioResult): string {
  const rows = Object.entries(result.ops).map(([name, op]) => [
    name,
    op.count,
    op.ok,
    op.throughput,
    op.latencyMs.p50,
    op.latencyMs.p95,
    op.latencyMs.p99,
    op.latencyMs.max,
    Object.entries(op.errors)
      .map(([code, n]) => `${code}:${n}`)
      .join(' ') || '-',
  ]);
  const out = [
    `== ${result.scenario} (${fmt(result.durationSeconds)} s) ${JSON.stringify(result.params)}`,
    table(['op', 'count', 'ok', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'], rows),
  ];
  for (const [title, t] of Object.entries(result.tables ?? {}))
    out.push(`-- ${title}\n${table(t.header, t.rows)}`);
  const figures = flatten(result.figures);
  if (figures.length > 0) out.push(table(['figure', 'value'], figures));
  return out.join('\n');
}

function flatten(obj: Record<string, unknown>, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(obj)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === 'object' && !Array.isArray(value))
      out.push(...flatten(value as Record<string, unknown>, name));
    else if (Array.isArray(value)) {
      if (value.length <= 8 && value.every((v) => typeof v !== 'object'))
        out.push([name, value.join(', ')]);
    } else out.push([name, typeof value === 'number' ? fmt(value, 2) : String(value)]);
  }
  return out;
}

/** Writes the result as JSON (pretty) and returns the path. */
export function writeResult(result: ScenarioResult, path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
  return path;
}

export function defaultResultPath(dir: string, scenario: string): string {
  return join(dir, `${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
}
