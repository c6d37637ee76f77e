// A fan's whole journey: sign up, charge points, join the line, wait for admission (statuses as an
// async iterator), hold seats, pay, and leave. Run with Node >= 20:
//   LINEUP_URL=http://localhost:3000 LINEUP_CONCERT_ID=1 node fan-journey.js
// (without LINEUP_CONCERT_ID it picks the first concert of the catalogue).
import {
  isLineupError,
  LineupClient,
  type QueueConnection,
  type Reservation,
} from '@lineup/client-sdk';

const baseUrl = process.env.LINEUP_URL ?? 'http://localhost:3000';

// Retries (same Idempotency-Key) for charge, hold, payment and withdrawal on network errors, 503
// and IDEMPOTENCY_KEY_IN_USE; every call gives up after 15 s.
const lineup = new LineupClient({ baseUrl, retry: true, timeoutMs: 15_000 });

async function main(): Promise<void> {
  const concerts = await lineup.concerts();
  const concertId = Number(process.env.LINEUP_CONCERT_ID ?? concerts[0]?.id);
  if (!Number.isInteger(concertId)) throw new Error('no concert to join');

  // Passwords are 8..128 characters; phones look like 010-1234-5678 (unique per account).
  const phone = `010-${String(Date.now()).slice(-8, -4)}-${String(Date.now()).slice(-4)}`;
  await lineup.signUp({ name: 'Example Fan', phone, password: 'correct horse battery' });
  await lineup.charge(500_000); // 1,000..1,000,000 per charge; an Idempotency-Key is made for you

  const joined = await lineup.joinQueue(concertId);
  console.log(`joined: ${joined.status}, position ${joined.position ?? '-'}`);
  const room = lineup.queueConnection(joined.queueToken).connect();
  try {
    await waitForTurn(room);
    const reservation = await holdTwoSeats(concertId, joined.queueToken);
    const paid = await lineup.pay(reservation.id);
    console.log(`paid ${paid.amount} KRW, balance ${paid.balance}`);
    // Paying ended the admission: leaving now resolves with how it ended.
    const left = await lineup.leaveQueue(joined.queueToken);
    console.log(`leave after paying: left=${left.left}, reason=${left.reason}`);
  } finally {
    room.close(); // settles anything still waiting on the room with CONNECTION_CLOSED
  }
}

/** Prints each status until admitted; gives up after 2 minutes (TIMEOUT, not an outage). */
async function waitForTurn(room: QueueConnection): Promise<void> {
  const signal = AbortSignal.timeout(120_000);
  for await (const s of room.statuses({ signal })) {
    if (s.status === 'active') break;
    const wait = s.estimatedWaitSeconds === null ? 'unknown' : `~${s.estimatedWaitSeconds}s`;
    console.log(`${s.status}: position ${s.position ?? '-'}, wait ${wait}`);
  }
  const admission = await room.waitForAdmission({ timeoutMs: 5_000 });
  console.log(`admitted until ${admission.activeUntil}`);
}

/** Holds the first two available seats of the first schedule; picks others if they are taken. */
async function holdTwoSeats(concertId: number, queueToken: string): Promise<Reservation> {
  const [schedule] = await lineup.schedules(concertId, queueToken);
  if (!schedule) throw new Error('no schedule on sale');
  for (let attempt = 0; attempt < 5; attempt++) {
    const seats = await lineup.seats(schedule.id, queueToken, { status: 'available' });
    const seatIds = seats.slice(0, 2).map((s) => s.id);
    try {
      const hold = await lineup.hold({ scheduleId: schedule.id, seatIds }, queueToken);
      console.log(`held ${hold.seats.map((s) => s.label).join(', ')} until ${hold.expiresAt}`);
      return hold;
    } catch (err) {
      // `details` is typed per code: seatIds is number[] here.
      if (!isLineupError(err, 'SEAT_UNAVAILABLE')) throw err;
      console.log(`taken meanwhile: ${err.details?.seatIds.join(', ')}; choosing again`);
    }
  }
  throw new Error('could not hold seats');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
