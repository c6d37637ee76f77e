import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

// Solving a join challenge (SPEC §2): find `solution` (≤ 64 chars) such that
// SHA-256(nonce ":" solution) starts with `bits` zero bits. Candidates are counters in base 36;
// the hash state after `nonce:` is computed once and cloned per candidate. Expected work is
// 2^bits hashes. In a browser, run it in a Web Worker (the page does) or let `solveChallenge`
// yield between chunks so the page stays responsive.

/** Leading zero bits of a digest. */
export function zeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

/**
 * Tries candidates `start`, `start + 1`, … (`count` of them); returns the first solution found,
 * or null. Synchronous: the unit of work a worker or a chunked loop runs.
 */
export function solveRange(
  nonce: string,
  bits: number,
  start: number,
  count: number,
): string | null {
  const prefix = sha256.create().update(utf8ToBytes(`${nonce}:`));
  const fullBytes = bits >> 3;
  const mask = bits & 7 ? (0xff << (8 - (bits & 7))) & 0xff : 0;
  for (let n = start; n < start + count; n++) {
    const candidate = n.toString(36);
    const d = prefix.clone().update(utf8ToBytes(candidate)).digest();
    let ok = true;
    for (let i = 0; i < fullBytes; i++) {
      if (d[i] !== 0) {
        ok = false;
        break;
      }
    }
    if (ok && (mask === 0 || (d[fullBytes]! & mask) === 0)) return candidate;
  }
  return null;
}

export interface SolveOptions {
  /** Hashes per chunk between yields and progress reports (default 20,000). */
  chunk?: number;
  /** Told after each chunk: hashes tried so far, and the expected total (2^bits). */
  onProgress?: (tried: number, expected: number) => void;
  signal?: AbortSignal;
}

/** Solves a challenge without blocking for long: yields to the event loop between chunks. */
export async function solveChallenge(
  nonce: string,
  bits: number,
  options: SolveOptions = {},
): Promise<string> {
  if (bits <= 0) return '';
  const chunk = options.chunk ?? 20_000;
  const expected = 2 ** bits;
  for (let start = 0; ; start += chunk) {
    options.signal?.throwIfAborted();
    const found = solveRange(nonce, bits, start, chunk);
    options.onProgress?.(found === null ? start + chunk : start, expected);
    if (found !== null) return found;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}
