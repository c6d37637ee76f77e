// A tiny typed event emitter (no dependency on Node's `events`, so it runs in browsers). Not mitt or
// eventemitter3: `on` here returns its own unsubscribe and each event's listener is typed from one
// interface, which both would need wrapping for; the SDK keeps its runtime dependencies to
// socket.io-client, zod and @noble/hashes.

/** Event name -> listener signature (an interface works, it needs no index signature). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- listeners of any signature
export type EventMap<Events> = { [E in keyof Events]: (...args: any[]) => void };

export class TypedEmitter<Events extends EventMap<Events>> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Adds a listener that is removed after its first call; returns a function that removes it. */
  once<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    const wrapper = ((...args: Parameters<Events[E]>) => {
      off();
      listener(...args);
    }) as Events[E];
    const off = this.on(event, wrapper);
    return off;
  }

  off<E extends keyof Events>(event: E, listener: Events[E]): void {
    this.listeners.get(event)?.delete(listener);
  }

  /** Removes every listener of `event`, or of every event. */
  removeAllListeners(event?: keyof Events): void {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  /**
   * Calls the listeners of `event` in the order they were added. A listener that throws does not
   * stop the others nor the emitter's owner: its error is rethrown on a fresh task, where the
   * runtime reports it like any uncaught error. Returns whether anyone listened.
   */
  protected emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) return false;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (err) {
        this.reportListenerError(err);
      }
    }
    return true;
  }

  /** Where a throwing listener's error goes: rethrown on a fresh task by default. */
  protected reportListenerError(err: unknown): void {
    setTimeout(() => {
      throw err;
    }, 0);
  }
}
