import { performance } from 'node:perf_hooks';
import {
  QueueConnection,
  type QueueAdmitted,
  type QueueProgress,
  type QueueSocketStatus,
} from '@lineup/client-sdk';
import { QUEUE_TICK_HEADER, QUEUE_TOKEN_HEADER } from '@lineup/client-sdk/contract';
import { ExactnessCheck, type ExactnessCounts, type PolledPlace } from './exactness.js';
import { Histogram, type HistogramSnapshot } from './histogram.js';
import { LiteQueueSocket } from './lite-socket.js';

// One worker process of the waiting-room scenario: holds up to ~15,000 sockets (a process may
// not open more files than its RLIMIT_NOFILE), records when each queue:status, queue:progress
// and queue:admitted arrives, computes every fan's position from the frames as SPEC §5 says
// (counting any increase: it must never happen), and reports mergeable histograms over IPC.

export interface SocketItem {
  url: string;
  token: string;
  localAddress?: string;
}

export type ToWorker =
  | {
      type: 'connect';
      items: SocketItem[];
      mode: 'lite' | 'sdk';
      concurrency: number;
      /** activeIdleSeconds * 1000: admission time = activeUntil - this, when admittedAt is absent. */
      idleMs: number;
      leaveOnAdmit: boolean;
    }
  | { type: 'observe' }
  | { type: 'report' }
  | { type: 'close' };

export interface ConnectReport {
  type: 'connected';
  connected: number;
  failed: number;
  errors: Record<string, number>;
  seconds: number;
  connectLatency: HistogramSnapshot;
}

export interface WindowReport {
  type: 'report';
  sockets: number;
  /** Gaps between consecutive queue:status / queue:progress of one waiting fan, in the window. */
  pushGap: HistogramSnapshot;
  /** queue:admitted receipt minus the admitting tick's time. */
  admissionNotice: HistogramSnapshot;
  /** Waiting fans whose longest silence in the window (incl. up to its end) exceeded 2 s. */
  fansOverTwoSeconds: number;
  /** Longest silence any waiting fan had, ms. */
  worstSilenceMs: number;
  waitingAtStart: number;
  waitingAtEnd: number;
  statusFrames: number;
  progressFrames: number;
  /** queue:sync requests (a gap in tick numbers, a fan computed at the head). */
  syncs: number;
  /** Times a fan's position went up (computed from frames, or a status above it): must be 0. */
  positionIncreases: number;
  /** Waiting fans whose computed place is known (exact status seen), at the report. */
  tracked: number;
  /** Sampled GET /queue/status polls against computed positions of the same tick. */
  exactness: ExactnessCounts;
  admitted: number;
  ended: number;
  droppedSockets: number;
  leaveErrors: number;
  cpuSeconds: number;
}

interface Conn {
  close(): void;
  leave(): Promise<boolean>;
  /** `queue:sync` (lite sockets; the SDK syncs by itself). */
  sync?(): Promise<QueueSocketStatus | null>;
}

const send = (msg: unknown) => process.send?.(msg);

const conns: Conn[] = [];
const items: SocketItem[] = [];
let last = new Float64Array(0);
let maxGap = new Float64Array(0);
/** 0 waiting, 1 admitted, 2 ended or dropped. */
let state = new Uint8Array(0);
// Each fan's place as of tick `tick` (SPEC §5 arithmetic); position -1 = unknown.
let position = new Float64Array(0);
let ticket = new Float64Array(0);
let tickOf = new Float64Array(0);
/** 1 = pre-queue; 2 = a status is awaited (departed: null, or a sync in flight). */
let mode = new Uint8Array(0);
let observing = false;
let windowStart = 0;
let waitingAtStart = 0;
let idleMs = 300_000;
let leaveOnAdmit = true;
let pushGap = new Histogram();
let notice = new Histogram();
const emptyCounts = () => ({
  statusFrames: 0,
  progressFrames: 0,
  syncs: 0,
  positionIncreases: 0,
  admitted: 0,
  ended: 0,
  dropped: 0,
  leaveErrors: 0,
});
let counts = emptyCounts();
let cpuAtWindow = process.cpuUsage();

/** Fans polled per sample, and how often, while a window is observed (a light HTTP load). */
const EXACTNESS_SAMPLE = 8;
const EXACTNESS_EVERY_MS = 2_000;
let exactnessTimer: NodeJS.Timeout | undefined;
const exactness = new ExactnessCheck(
  (i) =>
    state[i] === 0 && mode[i] === 0 && position[i]! > 0
      ? { tick: tickOf[i]!, position: position[i]! }
      : null,
  async (i): Promise<PolledPlace | null> => {
    const item = items[i];
    if (!item) return null;
    const res = await fetch(`${item.url}/queue/status`, {
      headers: { [QUEUE_TOKEN_HEADER]: item.token },
    });
    if (!res.ok) return null;
    const body = (await res.json()) as { status: string; position: number | null };
    const tick = Number(res.headers.get(QUEUE_TICK_HEADER));
    if (!Number.isFinite(tick) || body.position === null) return null;
    return { status: body.status, position: body.position, tick };
  },
);

/** Polls a few random fans that are computing their place (the exactness check). */
function sampleExactness(): void {
  const fans: number[] = [];
  for (let tries = 0; tries < EXACTNESS_SAMPLE * 4 && fans.length < EXACTNESS_SAMPLE; tries++) {
    const i = Math.floor(Math.random() * state.length);
    if (state[i] === 0 && mode[i] === 0 && position[i]! > 0 && !fans.includes(i)) fans.push(i);
  }
  void exactness.sample(fans);
}

/** An exact status: the fan's new base. A waiting position above the computed one is counted. */
function onExactStatus(i: number, at: number, s: QueueSocketStatus): void {
  counts.statusFrames++;
  heard(i, at);
  if (s.status === 'active' || state[i] !== 0) return;
  if (s.tick < tickOf[i]! && mode[i] !== 2) return; // older than what frames gave
  if (s.status === 'waiting' && mode[i] === 0 && position[i]! >= 0 && s.position! > position[i]!)
    counts.positionIncreases++;
  position[i] = s.position ?? -1;
  ticket[i] = s.ticket ?? -1;
  tickOf[i] = s.tick;
  mode[i] = s.status === 'prequeue' ? 1 : 0;
  exactness.moved(i);
}

/** One frame: p := p − admitted − |{d ∈ departed : d < ticket}| (SPEC §5). */
function onProgress(i: number, at: number, f: QueueProgress): void {
  counts.progressFrames++;
  heard(i, at);
  if (state[i] !== 0 || position[i]! < 0 || f.tick <= tickOf[i]!) return;
  if (mode[i] === 2) {
    // Awaiting a status; one that does not come within a few ticks is asked for.
    if (f.tick > tickOf[i]! + 5) sync(i);
    return;
  }
  if (f.tick !== tickOf[i]! + 1) return sync(i);
  if (f.departed === null) {
    mode[i] = 2;
    return;
  }
  let next = f.prequeue;
  if (mode[i] === 0) {
    let ahead = f.admitted;
    for (const d of f.departed) {
      if (d >= ticket[i]!) break;
      ahead++;
    }
    next = position[i]! - ahead;
    if (next <= 0) return sync(i); // at the head: queue:admitted is on its way
  } else if (next > position[i]!) counts.positionIncreases++;
  position[i] = next;
  tickOf[i] = f.tick;
  exactness.moved(i);
}

function sync(i: number): void {
  mode[i] = 2;
  const conn = conns[i];
  if (!conn?.sync) return;
  counts.syncs++;
  void conn.sync().then((s) => {
    if (s) onExactStatus(i, Date.now(), s);
  });
}

function onStatus(i: number, at: number): void {
  counts.statusFrames++;
  heard(i, at);
}

function heard(i: number, at: number): void {
  if (!observing || state[i] !== 0) return;
  const gap = at - last[i]!;
  pushGap.record(gap);
  if (gap > maxGap[i]!) maxGap[i] = gap;
  last[i] = at;
}

function onAdmitted(
  i: number,
  at: number,
  a: Pick<QueueAdmitted, 'activeUntil' | 'admittedAt'>,
): void {
  if (state[i] !== 0) return;
  state[i] = 1;
  counts.admitted++;
  const admittedAt = a.admittedAt ? Date.parse(a.admittedAt) : Date.parse(a.activeUntil) - idleMs;
  if (observing) notice.record(at - admittedAt);
  if (leaveOnAdmit)
    void conns[i]!.leave().then((ok) => {
      if (!ok) counts.leaveErrors++;
      conns[i]!.close();
    });
}

function onGone(i: number, dropped: boolean): void {
  if (state[i] === 2) return;
  if (state[i] === 0) {
    if (dropped) counts.dropped++;
    else counts.ended++;
  }
  state[i] = 2;
}

function open(item: SocketItem, i: number, mode: 'lite' | 'sdk'): Promise<Conn> {
  if (mode === 'lite') {
    const s = new LiteQueueSocket(
      { baseUrl: item.url, token: item.token, localAddress: item.localAddress },
      {
        status: (at, st) => onExactStatus(i, at, st),
        progress: (at, f) => onProgress(i, at, f),
        admitted: (at, a) => onAdmitted(i, at, a),
        ended: () => onGone(i, false),
        closed: () => onGone(i, true),
      },
    );
    return s.connect().then(() => ({
      close: () => s.close(),
      leave: async () => ((await s.call('queue:leave')) as { ok?: boolean }).ok === true,
      sync: async () => {
        const ack = (await s.call('queue:sync')) as { ok?: boolean; data?: QueueSocketStatus };
        return ack.ok && ack.data ? ack.data : null;
      },
    }));
  }
  return new Promise((resolve, reject) => {
    const c = new QueueConnection({
      baseUrl: item.url,
      queueToken: item.token,
      fallbackAfterMs: 600_000,
      socket: { localAddress: item.localAddress } as Record<string, unknown>,
    });
    let first = true;
    const conn: Conn = {
      close: () => c.close(),
      leave: () =>
        c.leave().then(
          () => true,
          () => false,
        ),
    };
    c.on('status', (st) => {
      if (first) {
        first = false;
        resolve(conn);
      }
      if (st.status !== 'active') onStatus(i, Date.now());
    });
    c.on('admitted', (a) => onAdmitted(i, Date.now(), a));
    c.on('ended', () => onGone(i, false));
    c.on('error', (err) => {
      if (first) reject(err);
      else onGone(i, true);
    });
    c.connect();
  });
}

function grow(n: number): void {
  const old = { last, maxGap, state, position, ticket, tickOf, mode };
  last = new Float64Array(n);
  maxGap = new Float64Array(n);
  state = new Uint8Array(n);
  position = new Float64Array(n).fill(-1);
  ticket = new Float64Array(n);
  tickOf = new Float64Array(n);
  mode = new Uint8Array(n);
  last.set(old.last);
  maxGap.set(old.maxGap);
  state.set(old.state);
  position.set(old.position);
  ticket.set(old.ticket);
  tickOf.set(old.tickOf);
  mode.set(old.mode);
}

/** Opens a batch of sockets (added to those already open). */
async function connectBatch(msg: Extract<ToWorker, { type: 'connect' }>): Promise<ConnectReport> {
  const offset = conns.length;
  const n = msg.items.length;
  idleMs = msg.idleMs;
  leaveOnAdmit = msg.leaveOnAdmit;
  conns.length = offset + n;
  items.push(...msg.items);
  grow(offset + n);
  const errors: Record<string, number> = {};
  const latency = new Histogram();
  let next = 0;
  let connected = 0;
  let failed = 0;
  const started = performance.now();
  const progress = setInterval(() => send({ type: 'progress', connected, failed }), 2_000);
  const lane = async () => {
    while (next < n) {
      const k = next++;
      const i = offset + k;
      const t0 = performance.now();
      try {
        conns[i] = await open(msg.items[k]!, i, msg.mode);
        latency.record(performance.now() - t0);
        connected++;
      } catch (err) {
        failed++;
        state[i] = 2;
        conns[i] = { close: () => undefined, leave: async () => false };
        const code = (err as Error).message || 'ERROR';
        errors[code] = (errors[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, msg.concurrency) }, lane));
  clearInterval(progress);
  return {
    type: 'connected',
    connected,
    failed,
    errors,
    seconds: (performance.now() - started) / 1000,
    connectLatency: latency.snapshot(),
  };
}

function startWindow(): void {
  windowStart = Date.now();
  waitingAtStart = 0;
  for (let i = 0; i < last.length; i++) {
    if (state[i] === 0) waitingAtStart++;
    last[i] = windowStart;
    maxGap[i] = 0;
  }
  pushGap = new Histogram();
  notice = new Histogram();
  counts = emptyCounts();
  cpuAtWindow = process.cpuUsage();
  exactness.take();
  clearInterval(exactnessTimer);
  exactnessTimer = setInterval(sampleExactness, EXACTNESS_EVERY_MS);
  observing = true;
}

function windowReport(): WindowReport {
  const now = Date.now();
  let over = 0;
  let worst = 0;
  let waiting = 0;
  let tracked = 0;
  for (let i = 0; i < state.length; i++) {
    if (state[i] === 0 && position[i]! >= 0) tracked++;
    if (state[i] !== 0) {
      if (maxGap[i]! > 2000) over++;
      worst = Math.max(worst, maxGap[i]!);
      continue;
    }
    waiting++;
    const silence = Math.max(maxGap[i]!, now - last[i]!);
    if (silence > 2000) over++;
    worst = Math.max(worst, silence);
  }
  const cpu = process.cpuUsage(cpuAtWindow);
  observing = false;
  clearInterval(exactnessTimer);
  return {
    type: 'report',
    sockets: state.length,
    pushGap: pushGap.snapshot(),
    admissionNotice: notice.snapshot(),
    fansOverTwoSeconds: over,
    worstSilenceMs: worst,
    waitingAtStart,
    waitingAtEnd: waiting,
    statusFrames: counts.statusFrames,
    progressFrames: counts.progressFrames,
    syncs: counts.syncs,
    positionIncreases: counts.positionIncreases,
    tracked,
    exactness: exactness.take(),
    admitted: counts.admitted,
    ended: counts.ended,
    droppedSockets: counts.dropped,
    leaveErrors: counts.leaveErrors,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

process.on('message', (msg: ToWorker) => {
  if (msg.type === 'connect') void connectBatch(msg).then(send);
  else if (msg.type === 'observe') {
    startWindow();
    send({ type: 'observing' });
  } else if (msg.type === 'report') send(windowReport());
  else if (msg.type === 'close') {
    observing = false;
    clearInterval(exactnessTimer);
    for (const c of conns) c?.close();
    send({ type: 'closed' });
    setTimeout(() => process.exit(0), 200);
  }
});
// The parent going away ends the worker (no orphaned sockets).
process.on('disconnect', () => process.exit(0));
