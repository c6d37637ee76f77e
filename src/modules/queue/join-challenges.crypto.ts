import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// The join challenge (SPEC §2 "Join challenge (bots)"): a proof of work priced per concert by
// `challengeBits`. Nonces are stateless: `<expiry ms, base 36>.<24 random hex>.<MAC>`, the MAC
// binding them to the user and the concert, so issuing one writes nothing. Using one is recorded
// by the join script itself (a key per used nonce that lives as long as the nonce could): single
// use costs no extra Redis call, and a concert without a challenge pays nothing.

/** Proof the join script weighs against the concert's `challengeBits`. */
export const NO_PROOF = -1;
/** A challenge was given but is not valid here: forged, another user's or concert's, expired. */
export const INVALID_PROOF = -2;

export interface Proof {
  /** Leading zero bits of SHA-256(nonce ":" solution), or NO_PROOF / INVALID_PROOF. */
  bits: number;
  /** The nonce's random part: names its single-use key. */
  id: string;
  /** Why the proof is invalid (for the 403's details). */
  reason?: 'malformed' | 'not yours' | 'expired';
}

export class JoinChallenges {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly lifetimeSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    // A key of its own, derived from the queue secret: a nonce's MAC is never a valid ref or token.
    this.key = createHmac('sha256', secret).update('join-challenge').digest();
  }

  issue(userId: number, concertId: number): { nonce: string; expiresAt: number } {
    const expiresAt = this.now() + this.lifetimeSeconds * 1000;
    const body = `${expiresAt.toString(36)}.${randomBytes(12).toString('hex')}`;
    return { nonce: `${body}.${this.mac(userId, concertId, body)}`, expiresAt };
  }

  /** How long a used nonce must be remembered (its whole possible lifetime). */
  get lifetimeMs(): number {
    return this.lifetimeSeconds * 1000;
  }

  /** Checks a challenge's nonce in memory and measures its solution: no I/O. */
  prove(userId: number, concertId: number, nonce: string, solution: string): Proof {
    const parts = nonce.split('.');
    if (
      parts.length !== 3 ||
      !/^[0-9a-f]{24}$/.test(parts[1]!) ||
      !/^[0-9a-z]{1,11}$/.test(parts[0]!)
    )
      return { bits: INVALID_PROOF, id: '-', reason: 'malformed' };
    const id = parts[1]!;
    const expected = Buffer.from(this.mac(userId, concertId, `${parts[0]}.${id}`), 'hex');
    const given = Buffer.from(parts[2]!, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { bits: INVALID_PROOF, id, reason: 'not yours' };
    if (parseInt(parts[0]!, 36) <= this.now())
      return { bits: INVALID_PROOF, id, reason: 'expired' };
    return {
      bits: leadingZeroBits(createHash('sha256').update(`${nonce}:${solution}`).digest()),
      id,
    };
  }

  private mac(userId: number, concertId: number, body: string): string {
    return createHmac('sha256', this.key)
      .update(`${concertId}:${userId}:${body}`)
      .digest('hex')
      .slice(0, 32);
  }
}

export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}
