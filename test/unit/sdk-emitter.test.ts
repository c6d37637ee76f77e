import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '@lineup/client-sdk';

interface Events {
  tick: (n: number) => void;
  named: (name: string, extra: { ok: boolean }) => void;
}

class Probe extends TypedEmitter<Events> {
  readonly thrown: unknown[] = [];
  fire<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean {
    return this.emit(event, ...args);
  }
  protected override reportListenerError(err: unknown): void {
    this.thrown.push(err);
  }
}

describe('TypedEmitter', () => {
  it('calls listeners in order with every argument, and says whether anyone listened', () => {
    const e = new Probe();
    const calls: string[] = [];
    expect(e.fire('tick', 1)).toBe(false);
    e.on('tick', (n) => calls.push(`a${n}`));
    e.on('tick', (n) => calls.push(`b${n}`));
    e.on('named', (name, extra) => calls.push(`${name}:${extra.ok}`));
    expect(e.fire('tick', 2)).toBe(true);
    e.fire('named', 'x', { ok: true });
    expect(calls).toEqual(['a2', 'b2', 'x:true']);
    expect(e.listenerCount('tick')).toBe(2);
  });

  it('removes listeners with off, with the function on() returns, and all at once', () => {
    const e = new Probe();
    const calls: number[] = [];
    const a = (n: number) => calls.push(n);
    const offB = e.on('tick', (n) => calls.push(n * 10));
    e.on('tick', a);
    e.off('tick', a);
    offB();
    e.fire('tick', 1);
    expect(calls).toEqual([]);
    e.on('tick', a);
    e.on('named', () => calls.push(99));
    e.removeAllListeners('tick');
    e.fire('tick', 1);
    e.fire('named', 'n', { ok: true });
    expect(calls).toEqual([99]);
    e.removeAllListeners();
    expect(e.listenerCount('named')).toBe(0);
  });

  it('calls a once() listener a single time, and once() returns a remover', () => {
    const e = new Probe();
    const calls: number[] = [];
    e.once('tick', (n) => calls.push(n));
    const off = e.once('tick', (n) => calls.push(n * 100));
    off();
    e.fire('tick', 1);
    e.fire('tick', 2);
    expect(calls).toEqual([1]);
    expect(e.listenerCount('tick')).toBe(0);
  });

  it('lets a listener remove itself or add another during an emit without skipping anyone', () => {
    const e = new Probe();
    const calls: string[] = [];
    const off = e.on('tick', () => {
      calls.push('first');
      off();
      e.on('tick', () => calls.push('late'));
    });
    e.on('tick', () => calls.push('second'));
    e.fire('tick', 0);
    expect(calls).toEqual(['first', 'second']);
    e.fire('tick', 0);
    expect(calls).toEqual(['first', 'second', 'second', 'late']);
  });

  it('keeps calling the other listeners when one throws, and reports the error', () => {
    const e = new Probe();
    const boom = new Error('listener bug');
    const calls: number[] = [];
    e.on('tick', () => {
      throw boom;
    });
    e.on('tick', (n) => calls.push(n));
    expect(() => e.fire('tick', 5)).not.toThrow();
    expect(calls).toEqual([5]);
    expect(e.thrown).toEqual([boom]);
  });
});
