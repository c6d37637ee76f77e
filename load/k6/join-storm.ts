import { type Options } from 'k6/options';
import {
  createConcert,
  currentFan,
  fans,
  join,
  num,
  setPolicy,
  summaryTrendStats,
  type Concert,
} from './lib.ts';

// join-storm: every fan of FANS_FILE (or FANS of them) joins one concert once, as fast as the
// instances answer, VUS requests in flight. Throughput: `http_reqs{name:join}` rate; latency:
// `http_req_duration{name:join}`; failures: `errors_<CODE>`.
//   k6 run -e BASE_URLS=http://127.0.0.1:3000,http://127.0.0.1:3001 -e FANS_FILE=fans.json load/k6/join-storm.ts

const FANS = num('FANS', fans.length);

export const options: Options = {
  scenarios: {
    storm: {
      executor: 'shared-iterations',
      vus: num('VUS', 256),
      iterations: FANS,
      maxDuration: __ENV.MAX_DURATION ?? '10m',
    },
  },
  summaryTrendStats,
  thresholds: { 'http_req_duration{name:join}': ['max>=0'] },
};

export function setup(): Concert {
  const concert = createConcert(50, 1, 'k6 join storm');
  setPolicy(concert.concertId, { maxWaiting: FANS + 10, paused: true });
  return concert;
}

export default function (data: Concert): void {
  const { fan, index } = currentFan();
  join(fan, index, data.concertId);
}
