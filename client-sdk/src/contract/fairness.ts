import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

// The provably fair pre-queue (SPEC §2), algorithm "fy-sha256-v1", written out so anyone can
// re-implement it from this file alone:
//
//   commitment = hex(SHA-256(seed))                     (seed: 32 random bytes, published as hex)
//   ref(entry) = first 16 hex chars of HMAC-SHA256(QUEUE_TOKEN_SECRET, "ref:" + entry id)
//   order      = shuffle(sort(refs), seed)
//   sort       = ascending by the ref's lowercase hex string (the same as by its bytes)
//   shuffle    = Fisher–Yates from the last index down: for i = n−1 … 1, swap(a[i], a[j]) with
//                j uniform in [0, i];
//   j          = rejection sampling over a stream of 32-bit big-endian words: block k of the
//                stream is SHA-256(seed ‖ uint32be(k)), k = 0, 1, 2, …, giving 8 words each; for
//                bound = i + 1, take the next word w; accept when w < 2^32 − (2^32 mod bound)
//                and then j = w mod bound; otherwise discard w and take the next one.
//
// Part of the contract (zod-free, like names.ts): the server orders the pre-queue with it and the
// SDK's verifyFairness() checks a published order with the same code. @noble/hashes provides a
// synchronous SHA-256 that runs in browsers without a secure context (Web Crypto's digest is
// async and https-only).

export const FAIRNESS_ALGORITHM = 'fy-sha256-v1';
const TWO_32 = 4_294_967_296;

/** hex(SHA-256(seed)) of a hex seed. */
export function fairnessCommitment(seedHex: string): string {
  return bytesToHex(sha256(hexToBytes(seedHex)));
}

/** The word stream of "fy-sha256-v1": 32-bit big-endian words of SHA-256(seed ‖ uint32be(k)). */
function wordStream(seed: Uint8Array): () => number {
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  const view = new DataView(input.buffer);
  let counter = 0;
  let block: DataView | null = null;
  let index = 8;
  return () => {
    if (index === 8) {
      view.setUint32(seed.length, counter++, false);
      const digest = sha256(input);
      block = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
      index = 0;
    }
    return block!.getUint32(4 * index++, false);
  };
}

/** order = shuffle(sort(refs), seed), exactly as described above. Does not change `refs`. */
export function fairOrder(refs: readonly string[], seedHex: string): string[] {
  const order = [...refs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const next = wordStream(hexToBytes(seedHex));
  for (let i = order.length - 1; i > 0; i--) {
    const bound = i + 1;
    const limit = TWO_32 - (TWO_32 % bound);
    let w = next();
    while (w >= limit) w = next();
    const j = w % bound;
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

export interface FairnessRecord {
  commitment: string;
  algorithm: string;
  seed: string | null;
  order: string[] | null;
}

export interface FairnessVerdict {
  /** Everything checked holds: the seed is revealed, matches the commitment and yields the order. */
  ok: boolean;
  /** The seed has been revealed (false before the shuffle: nothing can be checked yet). */
  revealed: boolean;
  /** SHA-256(seed) equals the commitment published before the sale. */
  commitmentMatches: boolean;
  /** Recomputing shuffle(sort(order), seed) gives the published order. */
  orderMatches: boolean;
  /** With `ref`: the 1-based place of that ref in the order, or null if it is not in it. */
  place?: number | null;
}

/**
 * Checks a line's published fairness record (`GET /concerts/:id/queue/fairness`): the revealed
 * seed hashes to the commitment and reproduces the order from the sorted refs. With `ref` (a
 * fan's own, from its join response), also finds the fan's place in that order.
 * `expectedCommitment`: the commitment the fan saw before the sale, if it kept it.
 */
export function verifyFairness(
  record: FairnessRecord,
  options: { ref?: string; expectedCommitment?: string } = {},
): FairnessVerdict {
  const place =
    options.ref === undefined
      ? undefined
      : record.order
        ? record.order.indexOf(options.ref) + 1 || null
        : null;
  if (record.seed === null || record.order === null || record.algorithm !== FAIRNESS_ALGORITHM)
    return { ok: false, revealed: false, commitmentMatches: false, orderMatches: false, place };
  const seedOk = /^[0-9a-f]{64}$/.test(record.seed);
  const commitmentMatches =
    seedOk &&
    fairnessCommitment(record.seed) === record.commitment &&
    (options.expectedCommitment === undefined || options.expectedCommitment === record.commitment);
  const again = seedOk ? fairOrder(record.order, record.seed) : [];
  const orderMatches =
    seedOk && again.length === record.order.length && again.every((r, i) => r === record.order![i]);
  return {
    ok: commitmentMatches && orderMatches && place !== null,
    revealed: true,
    commitmentMatches,
    orderMatches,
    place,
  };
}
