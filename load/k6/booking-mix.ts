import http from 'k6/http';
import ws from 'k6/ws';
import { Counter, Trend } from 'k6/metrics';
import { type Options } from 'k6/options';
import { connectFrame, parseFrame, PONG, socketUrl } from '../lib/sio-framing.ts';
import {
  countError,
  createConcert,
  currentFan,
  fanHeaders,
  fans,
  join,
  num,
  ok,
  setPolicy,
  summaryTrendStats,
  urlFor,
  uuid,
} from './lib.ts';

// booking-mix: each iteration is one fan going join -> admitted (waiting on the WebSocket for
// queue:admitted) -> browse schedules -> available seats -> hold 1..2 seats (another pick on
// SEAT_UNAVAILABLE, 3 tries) -> pay. VUS fans in the flow at once; FANS_FILE fans need points
// (`load/run.sh fans --points 1000000`). `paid_reservations` rate = paid reservations per second.

const FANS = num('FANS', fans.length);
const SCHEDULES = num('SCHEDULES', 50);
const SEATS = num('SEATS_PER_SCHEDULE', 200);
const paid = new Counter('paid_reservations');
const endToEnd = new Trend('end_to_end', true);
const waitAdmission = new Trend('wait_admission', true);

export const options: Options = {
  scenarios: {
    mix: {
      executor: 'shared-iterations',
      vus: num('VUS', 300),
      iterations: FANS,
      maxDuration: '15m',
    },
  },
  summaryTrendStats,
  setupTimeout: '5m',
  thresholds: {
    'http_req_duration{name:hold}': ['max>=0'],
    'http_req_duration{name:pay}': ['max>=0'],
    'http_req_duration{name:seats}': ['max>=0'],
  },
};

interface Data {
  concertId: number;
}

export function setup(): Data {
  const { concertId } = createConcert(SEATS, SCHEDULES, 'k6 booking mix');
  setPolicy(concertId, {
    maxWaiting: FANS + 10,
    maxActive: num('MAX_ACTIVE', 1_000),
    admitPerMinute: num('ADMIT_PER_MINUTE', 120_000),
  });
  return { concertId };
}

/** Blocks until queue:admitted (or a status saying active) arrives on a socket; false on timeout. */
function waitForAdmission(url: string, queueToken: string): boolean {
  let admitted = false;
  ws.connect(socketUrl(url), null, (socket) => {
    socket.on('message', (raw: string) => {
      const frame = parseFrame(raw);
      if (frame.kind === 'open') socket.send(connectFrame(queueToken));
      else if (frame.kind === 'ping') socket.send(PONG);
      else if (frame.kind === 'refused') {
        countError(frame.code);
        socket.close();
      } else if (
        frame.kind === 'event' &&
        (frame.event === 'queue:admitted' ||
          (frame.event === 'queue:status' &&
            (frame.payload as { status?: string }).status === 'active'))
      ) {
        admitted = true;
        socket.close();
      }
    });
    socket.setTimeout(() => socket.close(), 60_000);
  });
  return admitted;
}

export default function (data: Data): void {
  const started = Date.now();
  const { fan, index } = currentFan();
  const url = urlFor(index);
  const joined = join(fan, index, data.concertId);
  if (!joined) return;
  const qt = joined.queueToken;
  if (joined.status !== 'active') {
    const t0 = Date.now();
    if (!waitForAdmission(url, qt)) {
      countError('ADMISSION_TIMEOUT');
      return;
    }
    waitAdmission.add(Date.now() - t0);
  }
  const list = http.get(`${url}/concerts/${data.concertId}/schedules`, {
    headers: fanHeaders(fan, qt),
    tags: { name: 'schedules' },
  });
  if (!ok(list, 'schedules')) return;
  const schedules = (
    JSON.parse(String(list.body)) as { id: number; availableSeats: number }[]
  ).filter((s) => s.availableSeats > 0);
  for (let attempt = 1; attempt <= 3 && schedules.length > 0; attempt++) {
    const schedule = schedules[Math.floor(Math.random() * schedules.length)]!;
    const seatsRes = http.get(`${url}/schedules/${schedule.id}/seats?status=available`, {
      headers: fanHeaders(fan, qt),
      tags: { name: 'seats' },
    });
    if (!ok(seatsRes, 'seats')) return;
    const seats = JSON.parse(String(seatsRes.body)) as { id: number }[];
    if (seats.length === 0) continue;
    const want = Math.min(seats.length, 1 + Math.floor(Math.random() * 2));
    const start = Math.floor(Math.random() * (seats.length - want + 1));
    const hold = http.post(
      `${url}/reservations`,
      JSON.stringify({
        scheduleId: schedule.id,
        seatIds: seats.slice(start, start + want).map((s) => s.id),
      }),
      { headers: fanHeaders(fan, qt, uuid()), tags: { name: 'hold' } },
    );
    if (hold.status === 409) {
      countError('SEAT_UNAVAILABLE');
      continue;
    }
    if (!ok(hold, 'hold')) return;
    const reservation = JSON.parse(String(hold.body)) as { id: number };
    const pay = http.post(`${url}/reservations/${reservation.id}/payment`, null, {
      headers: fanHeaders(fan, undefined, uuid()),
      tags: { name: 'pay' },
    });
    if (ok(pay, 'pay')) {
      paid.add(1);
      endToEnd.add(Date.now() - started);
    }
    return;
  }
  // No seat after 3 tries: give the admission back so the slot goes to the next fan.
  http.del(`${url}/queue`, null, { headers: { 'x-queue-token': qt } });
}
