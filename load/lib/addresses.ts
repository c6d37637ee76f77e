// Source addresses for the load runner's connections. Linux answers on all of 127.0.0.0/8, so
// binding sockets to 127.0.0.2, 127.0.0.3, ... needs no set-up and gives each (source, target)
// pair its own ~28k ephemeral ports, and the server's per-address socket cap sees many clients.

export class SourceAddresses {
  private i = 0;

  constructor(readonly list: string[]) {
    if (list.length === 0) throw new Error('no source addresses');
  }

  /** 127.0.0.<first> .. 127.0.0.<first + count - 1>. */
  static loopback(count: number, first = 2): SourceAddresses {
    const n = Math.max(1, Math.min(count, 255 - first));
    return new SourceAddresses(Array.from({ length: n }, (_, k) => `127.0.0.${first + k}`));
  }

  /** `--sources 64` (that many loopback addresses) or `--sources 10.0.0.5,10.0.0.6`. */
  static parse(spec: string | undefined, fallback = 200): SourceAddresses | undefined {
    if (spec === 'none') return undefined;
    if (!spec) return SourceAddresses.loopback(fallback);
    if (/^\d+$/.test(spec)) return SourceAddresses.loopback(Number(spec));
    return new SourceAddresses(
      spec
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  }

  next(): string {
    const a = this.list[this.i]!;
    this.i = (this.i + 1) % this.list.length;
    return a;
  }

  /** A slice for one worker process, so workers do not share source addresses. */
  part(index: number, of: number): SourceAddresses {
    const mine = this.list.filter((_, k) => k % of === index);
    return new SourceAddresses(mine.length > 0 ? mine : this.list);
  }
}
