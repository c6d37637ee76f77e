import type { QueueEnded, QueueEndReason } from './contract/events.js';
import { QUEUE_TOKEN_HEADER } from './contract/names.js';
import { Deadline, type CallOptions } from './cancel.js';
import { ACK_TIMEOUT, isLineupError, NOT_CONNECTED } from './errors.js';
import { joinUrl, request, type FetchLike } from './http.js';
import { leftAlready } from './queue-helpers.js';
import type { LeaveResult } from './queue-types.js';
import type { SocketCalls } from './socket-calls.js';

/** What `QueueConnection.leave()` needs of its connection. */
export interface LeaveContext {
  /** The entry's end once known: read again after every await (queue:ended may come meanwhile). */
  ending(): QueueEnded | undefined;
  socketConnected(): boolean;
  calls: SocketCalls;
  fetch: FetchLike;
  baseUrl: string;
  queueToken: string;
  /** Records the entry's end: emits `ended` and closes the connection. */
  end(reason: QueueEndReason): void;
}

/**
 * Leaves the line or gives up the admission: over the socket when connected, else with
 * `DELETE /queue` (the body of `QueueConnection.leave()`, which documents it).
 */
export async function leaveQueueEntry(
  ctx: LeaveContext,
  options: CallOptions = {},
): Promise<LeaveResult> {
  const ended = ctx.ending();
  if (ended) return { left: false, reason: ended.reason };
  const deadline = new Deadline('leave', options);
  let sentOverSocket = false;
  try {
    if (ctx.socketConnected()) {
      sentOverSocket = true;
      try {
        await ctx.calls.call('queue:leave', undefined, deadline);
      } catch (err) {
        // The server's queue:ended (sent before the ack) closes the connection under us.
        if (ctx.ending()) return leaveResult(ctx);
        // The ack was lost with the socket: the HTTP call tells whether the leave went through.
        if (!isLineupError(err, ACK_TIMEOUT) && !isLineupError(err, NOT_CONNECTED)) throw err;
        await leaveOverHttp(ctx, deadline);
      }
    } else {
      await leaveOverHttp(ctx, deadline);
    }
  } catch (err) {
    if (ctx.ending()) return leaveResult(ctx);
    const before = leftAlready(err);
    if (!before) throw err;
    // Over already: 410 says how (`left` after a socket attempt whose ack was lost: that
    // attempt went through), 404 that the entry is gone.
    ctx.end(before);
    return { left: sentOverSocket && before === 'left', reason: before };
  } finally {
    deadline.dispose();
  }
  ctx.end('left');
  return { left: true, reason: 'left' };
}

/** The server's queue:ended arrived while leaving: `left` when it is this leave's doing. */
function leaveResult(ctx: LeaveContext): LeaveResult {
  const reason = ctx.ending()?.reason ?? 'left';
  return { left: reason === 'left', reason };
}

async function leaveOverHttp(ctx: LeaveContext, deadline: Deadline): Promise<void> {
  await request(
    ctx.fetch,
    joinUrl(ctx.baseUrl, '/queue'),
    { method: 'DELETE', headers: { [QUEUE_TOKEN_HEADER]: ctx.queueToken } },
    deadline,
  );
}
