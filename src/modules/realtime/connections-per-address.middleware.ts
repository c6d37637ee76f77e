import type { IncomingMessage } from 'node:http';

/**
 * The cap on concurrent connections one client address may hold on this instance (abuse limit,
 * SOCKETS_PER_IP). A connection is counted synchronously when its handshake request arrives, in
 * engine.io's `allowRequest`, before any asynchronous check (the queue token, Redis), so a burst
 * of parallel handshakes cannot slip past the cap; and raw engine.io connections that never join
 * a namespace count as well. It is counted until its TCP socket closes, however it ends (refused
 * later, failed upgrade, disconnect). socket.io has no such cap of its own.
 */
export class ConnectionsPerAddress {
  private readonly counts = new Map<string, number>();
  /** TCP sockets already counted (a handshake request is counted once), with their address. */
  private readonly counted = new WeakMap<object, string>();
  /**
   * The `close` listener of every counted TCP socket: one function (Node calls it with the socket
   * as `this`), not a closure and a `once` wrapper per connection.
   */
  private readonly release: (this: object) => void;

  constructor(
    private readonly cap: number,
    private readonly addressOf: (req: IncomingMessage) => string,
  ) {
    const counts = this.counts;
    const counted = this.counted;
    this.release = function (this: object) {
      const address = counted.get(this);
      if (address === undefined) return;
      counted.delete(this);
      const left = (counts.get(address) ?? 1) - 1;
      if (left > 0) counts.set(address, left);
      else counts.delete(address);
    };
  }

  /** Counts the request's connection; false (not counted) when its address is at the cap. */
  take(req: IncomingMessage): boolean {
    const socket = req.socket;
    if (this.counted.has(socket)) return true;
    if (socket.destroyed) return false; // gone already: its close event will not come again
    const address = this.addressOf(req);
    const count = this.counts.get(address) ?? 0;
    if (count >= this.cap) return false;
    this.counts.set(address, count + 1);
    this.counted.set(socket, address);
    socket.on('close', this.release);
    return true;
  }
}
