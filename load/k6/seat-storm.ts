import http from 'k6/http';
import { sleep } from 'k6';
import { Counter } from 'k6/metrics';
import { type Options } from 'k6/options';
import {
  countError,
  createConcert,
  currentFan,
  fanHeaders,
  fans,
  holdWrites,
  join,
  joinMany,
  num,
  ok,
  queueStats,
  setPolicy,
  summaryTrendStats,
  urlFor,
} from './lib.ts';

// seat-storm: FANS admitted fans race for SEATS seats of one schedule, one hold request each
// (fan i wants seat i % SEATS). Expect exactly SEATS holds (`holds_granted`); the teardown prints
// how many hold requests reached the database write (`GET /admin/stats`, all instances).
// Each iteration joins again first (joining is idempotent: same place, a fresh queue token), so
// no VU has to carry every fan's token; `http_req_duration{name:hold}` times the hold alone.

const FANS = num('FANS', Math.min(fans.length, 10_000));
const SEATS = num('SEATS', 100);
const granted = new Counter('holds_granted');

interface Data {
  concertId: number;
  scheduleId: number;
  seatIds: number[];
  writesBefore: number;
}

export const options: Options = {
  scenarios: {
    storm: {
      executor: 'shared-iterations',
      vus: num('VUS', 256),
      iterations: FANS,
      maxDuration: '10m',
    },
  },
  summaryTrendStats,
  setupTimeout: '5m',
  thresholds: { 'http_req_duration{name:hold}': ['max>=0'], holds_granted: [`count==${SEATS}`] },
};

export function setup(): Data {
  // Spare seats on another performance, so that every fan is admitted to storm these SEATS.
  const { concertId, scheduleIds } = createConcert(SEATS, 1, 'k6 seat storm', FANS);
  setPolicy(concertId, {
    maxWaiting: FANS + 10,
    maxActive: FANS,
    admitPerMinute: 1_000_000,
    activeIdleSeconds: 900,
  });
  const joined = joinMany(fans.slice(0, FANS), concertId);
  const expected = joined.filter(Boolean).length;
  for (let i = 0; i < 120 && queueStats(concertId).active < expected; i++) sleep(0.5);
  const first = joined.findIndex(Boolean);
  const seats = http.get(`${urlFor(0)}/schedules/${scheduleIds[0]}/seats`, {
    headers: fanHeaders(fans[first]!, joined[first]!.queueToken),
  });
  const seatIds = (JSON.parse(String(seats.body)) as { id: number }[]).map((s) => s.id);
  return { concertId, scheduleId: scheduleIds[0]!, seatIds, writesBefore: holdWrites() };
}

export default function (data: Data): void {
  const { fan, index } = currentFan();
  const joined = join(fan, index, data.concertId);
  if (!joined) return;
  const res = http.post(
    `${urlFor(index)}/reservations`,
    JSON.stringify({
      scheduleId: data.scheduleId,
      seatIds: [data.seatIds[index % data.seatIds.length]],
    }),
    { headers: fanHeaders(fan, joined.queueToken), tags: { name: 'hold' } },
  );
  if (ok(res, 'hold')) granted.add(1);
}

export function teardown(data: Data): void {
  const writes = holdWrites() - data.writesBefore;
  console.log(
    `seat-storm: ${writes} hold requests reached the database write (target <= ${2 * data.seatIds.length})`,
  );
  if (writes > 2 * data.seatIds.length) countError('OTHER');
}
