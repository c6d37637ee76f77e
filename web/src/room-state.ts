// One fan's place in one concert's line: the queue token, the live connection and what it said.
import {
  TypedEmitter,
  type ConcertListItem,
  type JoinOptions,
  type LineupError,
  type QueueConnection,
  type QueueEnded,
  type QueueMode,
  type QueueStatus,
  type SeatsChanged,
} from '@lineup/client-sdk';
import type { Session } from './session.js';

interface RoomEvents {
  /** Anything the waiting screen shows changed (status, admission, connection mode). */
  change: () => void;
  admitted: () => void;
  ended: (ending: QueueEnded) => void;
  error: (error: LineupError) => void;
  seats: (change: SeatsChanged) => void;
}

export class Room extends TypedEmitter<RoomEvents> {
  status: QueueStatus;
  /** The first waiting position seen: the progress bar measures from it. */
  startPosition: number | null = null;
  mode: QueueMode = 'socket';
  ending: QueueEnded | undefined;
  private readonly conn: QueueConnection;

  private constructor(
    private readonly session: Session,
    readonly concert: ConcertListItem,
    readonly queueToken: string,
    status: QueueStatus,
  ) {
    super();
    this.status = status;
    this.track(status);
    this.conn = session.sdk.queueConnection(queueToken);
    this.conn.on('status', (s) => {
      this.status = s;
      this.track(s);
      this.emit('change');
    });
    this.conn.on('admitted', (a) => {
      this.status = {
        ...this.status,
        status: 'active',
        position: null,
        activeUntil: a.activeUntil,
      };
      this.emit('change');
      this.emit('admitted');
    });
    this.conn.on('mode', (mode) => {
      this.mode = mode;
      this.emit('change');
    });
    this.conn.on('seats', (change) => this.emit('seats', change));
    this.conn.on('ended', (ending) => {
      this.ending = ending;
      this.emit('ended', ending);
    });
    this.conn.on('error', (error) => this.emit('error', error));
  }

  /** Joins the line (or finds the fan's existing place, or solves the challenge) and connects. */
  static async join(
    session: Session,
    concert: ConcertListItem,
    options: JoinOptions = {},
  ): Promise<Room> {
    const joined = await session.sdk.joinQueue(concert.id, options);
    const { queueToken, created: _created, ...status } = joined;
    const room = new Room(session, concert, queueToken, status);
    room.conn.connect();
    return room;
  }

  get admitted(): boolean {
    return this.status.status === 'active';
  }

  get live(): boolean {
    return !this.conn.isClosed;
  }

  /** Re-reads the admission deadline (booking requests push the idle deadline back). */
  async refresh(): Promise<void> {
    if (this.conn.isClosed) return;
    const status = await this.session.sdk.queueStatus(this.queueToken);
    if (status.status === 'active') {
      this.status = status;
      this.emit('change');
    }
  }

  subscribeSeats(scheduleId: number): Promise<unknown> {
    return this.conn.subscribeSeats(scheduleId);
  }

  unsubscribeSeats(scheduleId: number): void {
    if (!this.conn.isClosed) this.conn.unsubscribeSeats(scheduleId).catch(() => undefined);
  }

  async leave(): Promise<void> {
    await this.conn.leave();
  }

  close(): void {
    this.conn.close();
    this.removeAllListeners();
  }

  private track(s: QueueStatus): void {
    if (s.status === 'waiting' && s.position !== null && this.startPosition === null)
      this.startPosition = s.position;
  }
}
