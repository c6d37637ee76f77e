import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

// Where the CPU went during a phase (Linux /proc): each named process group's share of one core
// (100 = one core busy), the load runner itself, and the whole machine. This is how the reports
// say what limits a figure instead of guessing.

const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a local process has used so far; null if it is gone or not local. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Pids of processes whose command name (/proc/<pid>/comm) is `name`, e.g. postgres, redis-server. */
export function pidsNamed(name: string): number[] {
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === name) out.push(Number(e));
    } catch {
      /* exited */
    }
  }
  return out;
}

function machineJiffies(): { busy: number; total: number } | null {
  try {
    const v = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
  } catch {
    return null;
  }
}

export type CpuGroups = Record<string, () => number[]>;

export interface CpuReport {
  seconds: number;
  /** Per group: percent of one core, averaged over the phase. */
  percentOfCore: Record<string, number>;
  /** The load runner process (main only; socket workers are a group of their own). */
  loadRunner: number;
  /** Whole machine, percent of all cores. */
  machineBusy: number | null;
  /** Percent of one core used by everything not listed (other people's processes, the kernel). */
  other: number | null;
}

/** Starts measuring; call the returned function at the end of the phase. */
export function watchCpu(groups: CpuGroups): () => CpuReport {
  const startedAt = Date.now();
  const own = process.cpuUsage();
  const machine = machineJiffies();
  const before = new Map<number, number>();
  for (const pids of Object.values(groups))
    for (const pid of pids()) before.set(pid, cpuSeconds(pid) ?? 0);
  return () => {
    const seconds = (Date.now() - startedAt) / 1000;
    const percentOfCore: Record<string, number> = {};
    for (const [name, pids] of Object.entries(groups)) {
      let used = 0;
      for (const pid of pids()) {
        const now = cpuSeconds(pid);
        if (now !== null) used += now - (before.get(pid) ?? 0);
      }
      percentOfCore[name] = Math.round((used / seconds) * 1000) / 10;
    }
    const mine = process.cpuUsage(own);
    const m2 = machineJiffies();
    const loadRunner = Math.round(((mine.user + mine.system) / 1e6 / seconds) * 1000) / 10;
    const machineBusy =
      machine && m2
        ? Math.round(((m2.busy - machine.busy) / (m2.total - machine.total)) * 1000) / 10
        : null;
    const listed = Object.values(percentOfCore).reduce((a, b) => a + b, 0) + loadRunner;
    return {
      seconds: Math.round(seconds * 10) / 10,
      percentOfCore,
      loadRunner,
      machineBusy,
      other:
        machineBusy === null ? null : Math.max(0, Math.round(machineBusy * cpus().length - listed)),
    };
  };
}

/** Milliseconds of CPU a process group spent per operation during a phase (null if not local). */
export function cpuMsPerOp(cpu: CpuReport, group: string, ops: number): number | null {
  const percent = cpu.percentOfCore[group];
  if (percent === undefined || ops <= 0) return null;
  return Math.round(((percent / 100) * cpu.seconds * 1e6) / ops) / 1000;
}
