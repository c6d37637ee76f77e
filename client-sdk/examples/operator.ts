// An operator's script: creates a venue, a concert on sale now and one performance, then reads and
// steers the concert's waiting line. Run with Node >= 20:
//   LINEUP_URL=http://localhost:3000 LINEUP_ADMIN_TOKEN=... node operator.js
// It prints the new concert as JSON on its last line (the fan example can use its id).
import { isLineupError, LineupAdmin } from '@lineup/client-sdk';

const baseUrl = process.env.LINEUP_URL ?? 'http://localhost:3000';
const adminToken = process.env.LINEUP_ADMIN_TOKEN;
if (!adminToken) throw new Error('set LINEUP_ADMIN_TOKEN to the server’s ADMIN_TOKEN');

const admin = new LineupAdmin({ baseUrl, adminToken, timeoutMs: 10_000 });

async function main(): Promise<void> {
  const venue = await admin.createVenue({
    name: `Example Hall ${Date.now()}`,
    // Rows of numbered seats: labels A-1..A-10, B-1..B-10.
    rows: [
      { name: 'A', seats: 10, grade: 'VIP' },
      { name: 'B', seats: 10, grade: 'R' },
    ],
  });
  const concert = await admin.createConcert({
    title: 'Example Night',
    artist: 'The SDK Band',
    saleOpensAt: new Date(Date.now() - 60_000).toISOString(), // on sale already
  });
  const schedule = await admin.createSchedule(concert.id, {
    venueId: venue.id,
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    prices: { VIP: 150_000, R: 120_000, S: 90_000, A: 60_000 },
  });

  // Let at most 50 fans book at once, 300 admissions a minute.
  const policy = await admin.updatePolicy(concert.id, { maxActive: 50, admitPerMinute: 300 });
  console.log(`policy: ${JSON.stringify(policy)}`);
  await admin.pause(concert.id); // everyone queues, nobody is admitted...
  await admin.resume(concert.id); // ...until now

  const stats = await admin.queueStats(concert.id);
  console.log(
    `line: ${stats.waiting} waiting, ${stats.active} active, leader ${stats.leader?.instanceId ?? 'none yet'}`,
  );

  try {
    await admin.closeQueue(999_999_999);
  } catch (err) {
    // Typed: only codes of the contract compile here.
    if (!isLineupError(err, 'CONCERT_NOT_FOUND')) throw err;
    console.log(`closing an unknown concert: ${err.status} ${err.code}`);
  }

  console.log(JSON.stringify({ concertId: concert.id, scheduleId: schedule.id }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
