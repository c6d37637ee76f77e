import ws from 'k6/ws';
import { Counter, Trend } from 'k6/metrics';
import { type Options } from 'k6/options';
import { connectFrame, emitFrame, parseFrame, PONG, socketUrl } from '../lib/sio-framing.ts';
import { admissionTime, applyFrame, type Place, type Progress } from './place.ts';
import {
  countError,
  createConcert,
  currentFan,
  join,
  num,
  setPolicy,
  summaryTrendStats,
  urlFor,
  type Concert,
} from './lib.ts';

// waiting-room: SOCKETS fans join a paused line and hold a WebSocket each (Engine.IO v4 /
// Socket.IO v5 framing by hand, ../lib/sio-framing.ts). After RAMP_SECONDS an operator scenario lets the line
// admit (MAX_ACTIVE, ADMIT_PER_MINUTE); admitted fans leave at once. Each socket stays HOLD_SECONDS.
//   queue_status_interval   time between two frames (queue:progress or queue:status) on one socket
//   position_increases       computed positions (SPEC §5 arithmetic) that went up: must be 0
//   queue_syncs              queue:sync requests (gaps in tick numbers, fans at the head)
//   fans_silent_over_2s      sockets that once waited more than 2 s for a push
//   admission_notice         queue:admitted receipt minus the admitting tick's time (ms)
// One k6 VU per socket: k6 needs far more memory per socket than the Node runner (load/README.md).

const SOCKETS = num('SOCKETS', 1_000);
const RAMP_SECONDS = num('RAMP_SECONDS', 30);
const HOLD_SECONDS = num('HOLD_SECONDS', 60);
const IDLE_SECONDS = 300;

const statusInterval = new Trend('queue_status_interval', true);
const admissionNotice = new Trend('admission_notice', true);
const statusFrames = new Counter('status_frames');
const silent = new Counter('fans_silent_over_2s');
const admitted = new Counter('admitted');
const increases = new Counter('position_increases');
const syncs = new Counter('queue_syncs');
const SYNC_ACK = 2;

export const options: Options = {
  scenarios: {
    fans: {
      executor: 'per-vu-iterations',
      vus: SOCKETS,
      iterations: 1,
      maxDuration: `${RAMP_SECONDS + HOLD_SECONDS + 120}s`,
    },
    operator: {
      executor: 'shared-iterations',
      vus: 1,
      iterations: 1,
      startTime: `${RAMP_SECONDS}s`,
      exec: 'admit',
    },
  },
  summaryTrendStats,
  setupTimeout: '2m',
};

export function setup(): Concert {
  const concert = createConcert(50, 1, 'k6 waiting room');
  setPolicy(concert.concertId, {
    maxWaiting: SOCKETS + 10,
    paused: true,
    activeIdleSeconds: IDLE_SECONDS,
    activeMaxSeconds: IDLE_SECONDS * 4,
  });
  return concert;
}

/** The operator: open the line once every fan is (about to be) connected. */
export function admit(data: Concert): void {
  setPolicy(data.concertId, {
    paused: false,
    maxActive: num('MAX_ACTIVE', 100),
    admitPerMinute: num('ADMIT_PER_MINUTE', 3_000),
  });
}

export default function (data: Concert): void {
  const { fan, index } = currentFan();
  const joined = join(fan, index, data.concertId);
  if (!joined) return;
  let last = 0;
  let worst = 0;
  let waiting = true;
  let place: Place | null = null;
  const heard = () => {
    const now = Date.now();
    statusFrames.add(1);
    if (last > 0) {
      statusInterval.add(now - last);
      worst = Math.max(worst, now - last);
    }
    last = now;
  };
  const exact = (s: Omit<Place, 'awaiting'>) => {
    if (place && !place.awaiting && s.status === 'waiting' && s.tick >= place.tick)
      if (s.position > place.position) increases.add(1);
    place = { ...s, awaiting: false };
  };
  const res = ws.connect(socketUrl(urlFor(index)), null, (socket) => {
    socket.on('message', (raw: string) => {
      const frame = parseFrame(raw);
      if (frame.kind === 'open') socket.send(connectFrame(joined.queueToken));
      else if (frame.kind === 'ping') socket.send(PONG);
      else if (frame.kind === 'refused') {
        countError(frame.code);
        socket.close();
      } else if (frame.kind === 'event' && frame.event === 'queue:status' && waiting) {
        heard();
        exact(frame.payload as Place);
      } else if (frame.kind === 'event' && frame.event === 'queue:progress' && waiting) {
        heard();
        if (!place) return;
        const outcome = applyFrame(place, frame.payload as Progress);
        if (outcome === 'await') place.awaiting = true;
        else if (outcome === 'sync') {
          place.awaiting = true;
          syncs.add(1);
          socket.send(emitFrame('queue:sync', SYNC_ACK));
        }
      } else if (frame.kind === 'ack' && frame.id === SYNC_ACK) {
        const answer = frame.payload as { ok: boolean; data?: Place };
        if (answer.ok && answer.data) exact(answer.data);
      } else if (frame.kind === 'event' && frame.event === 'queue:admitted' && waiting) {
        waiting = false;
        admitted.add(1);
        admissionNotice.add(
          Date.now() - admissionTime(frame.payload as { activeUntil: string }, IDLE_SECONDS),
        );
        socket.send(emitFrame('queue:leave', 1));
      } else if (frame.kind === 'ack' || frame.kind === 'disconnected') socket.close();
    });
    socket.setTimeout(() => socket.close(), (RAMP_SECONDS + HOLD_SECONDS) * 1000);
  });
  if (!res || res.status !== 101) countError('NETWORK');
  if (worst > 2_000) silent.add(1);
}
