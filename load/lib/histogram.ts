// Durations in milliseconds, recorded in an HdrHistogram (hdr-histogram-js): constant memory however
// many samples (a waiting-room run records millions of push intervals), 2 significant digits
// (1% precision), mergeable across worker processes through HdrHistogram's compressed encoding.
// Stored as integer microseconds. Count, sum, min and max are kept exactly beside it.
import * as hdr from 'hdr-histogram-js';

/** One worker's histogram, as it crosses a process boundary. */
export interface HistogramSnapshot {
  /** HdrHistogram's compressed base64 encoding of the microsecond values. */
  encoded: string;
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

const MAX_US = 0x7fffffff;
const newHdr = () =>
  hdr.build({
    bitBucketSize: 'packed',
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_US,
    numberOfSignificantValueDigits: 2,
    useWebAssembly: false,
  });

export class Histogram {
  private readonly values = newHdr();
  count = 0;
  sum = 0;
  min = Infinity;
  max = 0;

  /** Records a duration in milliseconds (negative values count as 0). */
  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    this.values.recordValue(Math.min(MAX_US, Math.round(v * 1000)));
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** The value at percentile p (0..100), in ms. The maximum is exact. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    if (p >= 100) return this.max;
    const us = this.values.getValueAtPercentile(p);
    return Math.min(this.max, Math.max(this.min, us / 1000));
  }

  /** Share of samples above `ms` (bucket precision). */
  fractionAbove(ms: number): number {
    if (this.count === 0) return 0;
    const limit = Math.round(ms * 1000);
    const recorded = (this.values as hdr.JsHistogram).recordedValuesIterator;
    recorded.reset();
    let above = 0;
    while (recorded.hasNext()) {
      const step = recorded.next();
      if (step.valueIteratedTo > limit) above += step.countAtValueIteratedTo;
    }
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
    return {
      encoded: hdr.encodeIntoCompressedBase64(this.values),
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
    };
  }

  merge(other: HistogramSnapshot | Histogram): this {
    const s = other instanceof Histogram ? other.snapshot() : other;
    if (s.count === 0) return this;
    this.values.add(hdr.decodeFromCompressedBase64(s.encoded, 'packed', false));
    this.count += s.count;
    this.sum += s.sum;
    this.min = Math.min(this.min, s.min);
    this.max = Math.max(this.max, s.max);
    return this;
  }

  static from(snapshot: HistogramSnapshot): Histogram {
    return new Histogram().merge(snapshot);
  }
}
