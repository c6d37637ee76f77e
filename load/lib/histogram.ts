// A log-linear histogram of durations (HdrHistogram's layout, ~1.6% precision): constant memory
// however many samples (a waiting-room run records millions of push intervals), mergeable across
// worker processes. Values are milliseconds; stored as integer microseconds.

const SUB_BITS = 6;
const SUB = 1 << SUB_BITS; // 64 buckets per power of two
const LINEAR = SUB * 2; // values below 128 µs are exact
const MAX_EXP = 32;
const SIZE = LINEAR + (MAX_EXP - SUB_BITS - 1) * SUB;

function indexOf(us: number): number {
  if (us < LINEAR) return us;
  const msb = 31 - Math.clz32(us);
  const shift = msb - SUB_BITS;
  return LINEAR + (msb - SUB_BITS - 1) * SUB + ((us >>> shift) - SUB);
}

/** The middle of a bucket, in µs. */
function valueOf(index: number): number {
  if (index < LINEAR) return index;
  const k = index - LINEAR;
  const shift = Math.floor(k / SUB) + 1;
  const lower = (SUB + (k % SUB)) * 2 ** shift;
  return lower + 2 ** shift / 2;
}

export interface HistogramSnapshot {
  /** [bucket index, count] for non-empty buckets. */
  buckets: [number, number][];
  count: number;
  sum: number;
  min: number;
  max: number;
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export class Histogram {
  private readonly counts = new Float64Array(SIZE);
  count = 0;
  sum = 0;
  min = Infinity;
  max = 0;

  /** Records a duration in milliseconds (negative values count as 0). */
  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    const us = Math.min(0x7fffffff, Math.round(v * 1000));
    this.counts[indexOf(us)]!++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** The value at percentile p (0..100), in ms. The maximum is exact. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    if (p >= 100) return this.max;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, valueOf(i) / 1000));
    }
    return this.max;
  }

  /** Share of samples above `ms` (bucket precision). */
  fractionAbove(ms: number): number {
    if (this.count === 0) return 0;
    const limit = indexOf(Math.round(ms * 1000));
    let above = 0;
    for (let i = limit + 1; i < SIZE; i++) above += this.counts[i]!;
    return above / this.count;
  }

  summary(): LatencySummary {
    const r = (n: number) => (Number.isFinite(n) ? Math.round(n * 100) / 100 : null!);
    return {
      count: this.count,
      mean: r(this.count ? this.sum / this.count : NaN),
      p50: r(this.percentile(50)),
      p95: r(this.percentile(95)),
      p99: r(this.percentile(99)),
      max: r(this.count ? this.max : NaN),
    };
  }

  snapshot(): HistogramSnapshot {
    const buckets: [number, number][] = [];
    for (let i = 0; i < SIZE; i++) if (this.counts[i]) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, sum: this.sum, min: this.min, max: this.max };
  }

  merge(other: HistogramSnapshot | Histogram): this {
    const s = other instanceof Histogram ? other.snapshot() : other;
    for (const [i, n] of s.buckets) this.counts[i]! += n;
    this.count += s.count;
    this.sum += s.sum;
    if (s.count > 0) {
      this.min = Math.min(this.min, s.min);
      this.max = Math.max(this.max, s.max);
    }
    return this;
  }

  static from(snapshot: HistogramSnapshot): Histogram {
    return new Histogram().merge(snapshot);
  }
}
