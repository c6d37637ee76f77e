import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  FAIRNESS_ALGORITHM,
  fairOrder,
  fairnessCommitment,
  verifyFairness,
} from '@lineup/client-sdk';
import { referenceCommitment, referenceOrder } from '../support/fairness-reference.js';

const refs = (n: number) => Array.from({ length: n }, () => randomBytes(8).toString('hex'));

describe('fy-sha256-v1 (SPEC §2)', () => {
  it('matches an independent implementation written from the spec text', () => {
    for (const n of [0, 1, 2, 3, 7, 8, 9, 17, 100, 1_000]) {
      const seed = randomBytes(32).toString('hex');
      const input = refs(n);
      expect(fairOrder(input, seed)).toEqual(referenceOrder(input, seed));
      expect(fairnessCommitment(seed)).toBe(referenceCommitment(seed));
    }
  });

  it('is a permutation that depends only on the set of refs and the seed', () => {
    const seed = randomBytes(32).toString('hex');
    const input = refs(200);
    const order = fairOrder(input, seed);
    expect([...order].sort()).toEqual([...input].sort());
    expect(fairOrder([...input].reverse(), seed)).toEqual(order);
    expect(fairOrder(input, randomBytes(32).toString('hex'))).not.toEqual(order);
  });

  it('gives the pinned answer for a fixed seed and refs (a known-answer vector for re-implementers)', () => {
    // Seed of 32 zero bytes, refs "0".."9" as 16 hex chars: fixed answer, pinned so a change of
    // the algorithm cannot pass unnoticed.
    const seed = '00'.repeat(32);
    const input = Array.from({ length: 10 }, (_, i) => i.toString(16).padStart(16, '0'));
    expect(fairOrder(input, seed)).toEqual(referenceOrder(input, seed));
    expect(fairOrder(input, seed)).toMatchInlineSnapshot(`
      [
        "0000000000000001",
        "0000000000000005",
        "0000000000000004",
        "0000000000000006",
        "0000000000000008",
        "0000000000000000",
        "0000000000000002",
        "0000000000000007",
        "0000000000000003",
        "0000000000000009",
      ]
    `);
  });
});

describe('verifyFairness', () => {
  const seed = randomBytes(32).toString('hex');
  const order = fairOrder(refs(50), seed);
  const record = {
    commitment: fairnessCommitment(seed),
    algorithm: FAIRNESS_ALGORITHM,
    seed,
    order,
  };

  it('accepts the published record and finds a ref’s place', () => {
    expect(verifyFairness(record, { ref: order[9]! })).toEqual({
      ok: true,
      revealed: true,
      commitmentMatches: true,
      orderMatches: true,
      place: 10,
    });
  });

  it('refuses a tampered order, a seed that is not the committed one, an unknown ref', () => {
    const swapped = [...order];
    [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
    expect(verifyFairness({ ...record, order: swapped })).toMatchObject({
      ok: false,
      orderMatches: false,
    });
    const other = randomBytes(32).toString('hex');
    expect(verifyFairness({ ...record, seed: other })).toMatchObject({
      ok: false,
      commitmentMatches: false,
    });
    expect(verifyFairness(record, { expectedCommitment: fairnessCommitment(other) }).ok).toBe(
      false,
    );
    expect(verifyFairness(record, { ref: 'ffffffffffffffff' })).toMatchObject({
      ok: false,
      place: null,
    });
    expect(verifyFairness({ ...record, seed: 'not hex' }).ok).toBe(false);
  });

  it('says nothing can be checked before the reveal', () => {
    expect(verifyFairness({ ...record, seed: null, order: null })).toMatchObject({
      ok: false,
      revealed: false,
    });
  });
});
