import { describe, expect, it } from 'vitest';
import { requestHash } from '../../src/modules/idempotency/idempotency.service.js';

const charge = (body: unknown) => ({ method: 'POST', path: '/users/me/points/charge', body });

describe('requestHash', () => {
  it('is a sha256 hex digest and stable for the same request', () => {
    const hash = requestHash(charge({ amount: 1000 }));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(requestHash(charge({ amount: 1000 }))).toBe(hash);
  });

  it('ignores the order of keys, also in nested objects', () => {
    expect(requestHash(charge({ a: 1, b: { x: 1, y: [1, 2] } }))).toBe(
      requestHash(charge({ b: { y: [1, 2], x: 1 }, a: 1 })),
    );
  });

  it('differs when the body differs', () => {
    const base = requestHash(charge({ amount: 1000 }));
    expect(requestHash(charge({ amount: 2000 }))).not.toBe(base);
    expect(requestHash(charge({ amount: '1000' }))).not.toBe(base);
    expect(requestHash(charge({ amount: 1000, extra: null }))).not.toBe(base);
    expect(requestHash(charge(null))).not.toBe(base);
  });

  it('keeps the order of array items', () => {
    expect(requestHash(charge({ seatIds: [1, 2] }))).not.toBe(
      requestHash(charge({ seatIds: [2, 1] })),
    );
  });

  it('differs when the path differs, and treats the method case-insensitively', () => {
    const base = requestHash(charge({ amount: 1000 }));
    expect(requestHash({ ...charge({ amount: 1000 }), path: '/reservations' })).not.toBe(base);
    expect(requestHash({ ...charge({ amount: 1000 }), method: 'post' })).toBe(base);
    expect(requestHash({ ...charge({ amount: 1000 }), method: 'PUT' })).not.toBe(base);
  });

  it('treats a missing body like null', () => {
    expect(requestHash(charge(undefined))).toBe(requestHash(charge(null)));
  });
});
