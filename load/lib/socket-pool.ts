import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExactnessCounts } from './exactness.js';
import { Histogram } from './histogram.js';
import type { ConnectReport, SocketItem, ToWorker, WindowReport } from './socket-worker.js';

const WORKER = fileURLToPath(new URL('./socket-worker.ts', import.meta.url));
/** Sockets per worker: under the 20,000-file RLIMIT_NOFILE of this machine, with room to spare. */
export const SOCKETS_PER_WORKER = 15_000;

export interface PoolConnectResult {
  connected: number;
  failed: number;
  errors: Record<string, number>;
  seconds: number;
  connectLatency: Histogram;
}

export interface PoolWindowResult {
  pushGap: Histogram;
  admissionNotice: Histogram;
  fansOverTwoSeconds: number;
  worstSilenceMs: number;
  waitingAtStart: number;
  waitingAtEnd: number;
  statusFrames: number;
  progressFrames: number;
  syncs: number;
  positionIncreases: number;
  tracked: number;
  exactness: ExactnessCounts;
  admitted: number;
  ended: number;
  droppedSockets: number;
  leaveErrors: number;
  workerCpuSeconds: number;
}

/** Socket-holding worker processes (forked with tsx), driven over IPC. */
export class SocketPool {
  private readonly workers: ChildProcess[] = [];

  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const w = fork(WORKER, [], {
        execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      this.workers.push(w);
    }
  }

  static workersFor(sockets: number, perWorker = SOCKETS_PER_WORKER): number {
    return Math.max(1, Math.ceil(sockets / perWorker));
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid!).filter(Boolean);
  }

  private ask<T>(
    w: ChildProcess,
    msg: ToWorker,
    answer: string,
    onOther?: (m: unknown) => void,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: { type: string }) => {
        if (m.type === answer) {
          w.off('message', onMessage);
          w.off('exit', onExit);
          resolve(m as T);
        } else onOther?.(m);
      };
      const onExit = (code: number | null) => {
        w.off('message', onMessage);
        reject(new Error(`socket worker exited (${code}) while waiting for ${answer}`));
      };
      w.on('message', onMessage);
      w.once('exit', onExit);
      w.send(msg);
    });
  }

  /** Splits `items` across the workers and opens them, `concurrency` handshakes in flight per worker. */
  async connect(
    items: SocketItem[],
    options: {
      mode: 'lite' | 'sdk';
      concurrency: number;
      idleMs: number;
      leaveOnAdmit: boolean;
      onProgress?: (connected: number, failed: number) => void;
    },
  ): Promise<PoolConnectResult> {
    const n = this.workers.length;
    const progress = new Array<[number, number]>(n).fill([0, 0]);
    const reports = await Promise.all(
      this.workers.map((w, k) =>
        this.ask<ConnectReport>(
          w,
          {
            type: 'connect',
            items: items.filter((_, i) => i % n === k),
            mode: options.mode,
            concurrency: options.concurrency,
            idleMs: options.idleMs,
            leaveOnAdmit: options.leaveOnAdmit,
          },
          'connected',
          (m) => {
            const p = m as { type: string; connected: number; failed: number };
            if (p.type !== 'progress') return;
            progress[k] = [p.connected, p.failed];
            options.onProgress?.(
              progress.reduce((a, b) => a + b[0], 0),
              progress.reduce((a, b) => a + b[1], 0),
            );
          },
        ),
      ),
    );
    const errors: Record<string, number> = {};
    for (const r of reports)
      for (const [code, c] of Object.entries(r.errors)) errors[code] = (errors[code] ?? 0) + c;
    return {
      connected: reports.reduce((a, r) => a + r.connected, 0),
      failed: reports.reduce((a, r) => a + r.failed, 0),
      errors,
      seconds: Math.max(...reports.map((r) => r.seconds)),
      connectLatency: reports.reduce((h, r) => h.merge(r.connectLatency), new Histogram()),
    };
  }

  async observe(): Promise<void> {
    await Promise.all(this.workers.map((w) => this.ask(w, { type: 'observe' }, 'observing')));
  }

  async report(): Promise<PoolWindowResult> {
    const reports = await Promise.all(
      this.workers.map((w) => this.ask<WindowReport>(w, { type: 'report' }, 'report')),
    );
    const sum = (f: (r: WindowReport) => number) => reports.reduce((a, r) => a + f(r), 0);
    return {
      pushGap: reports.reduce((h, r) => h.merge(r.pushGap), new Histogram()),
      admissionNotice: reports.reduce((h, r) => h.merge(r.admissionNotice), new Histogram()),
      fansOverTwoSeconds: sum((r) => r.fansOverTwoSeconds),
      worstSilenceMs: Math.max(0, ...reports.map((r) => r.worstSilenceMs)),
      waitingAtStart: sum((r) => r.waitingAtStart),
      waitingAtEnd: sum((r) => r.waitingAtEnd),
      statusFrames: sum((r) => r.statusFrames),
      progressFrames: sum((r) => r.progressFrames),
      syncs: sum((r) => r.syncs),
      positionIncreases: sum((r) => r.positionIncreases),
      tracked: sum((r) => r.tracked),
      exactness: {
        checks: sum((r) => r.exactness.checks),
        violations: sum((r) => r.exactness.violations),
        skipped: sum((r) => r.exactness.skipped),
      },
      admitted: sum((r) => r.admitted),
      ended: sum((r) => r.ended),
      droppedSockets: sum((r) => r.droppedSockets),
      leaveErrors: sum((r) => r.leaveErrors),
      workerCpuSeconds: sum((r) => r.cpuSeconds),
    };
  }

  /** Closes every socket and ends the workers (killed if they do not exit within 10 s). */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.exitCode !== null || w.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
        const timer = setTimeout(() => w.kill('SIGKILL'), 10_000);
        try {
          await this.ask(w, { type: 'close' }, 'closed');
        } catch {
          /* already gone */
        }
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** Immediate kill (failure paths). */
  kill(): void {
    for (const w of this.workers) if (w.exitCode === null) w.kill('SIGKILL');
  }
}
