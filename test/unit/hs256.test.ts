import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignJWT, jwtVerify } from 'jose';
import { Hs256 } from '../../src/infra/crypto/hs256.js';

const SECRET = 'unit-test-secret-unit-test-secret';
const key = new TextEncoder().encode(SECRET);
const jwt = new Hs256(SECRET);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('HS256 tokens', () => {
  it('round-trips claims with iat and exp', () => {
    const token = jwt.sign({ sub: '42', concertId: 7 }, 60, 1_000_000);
    expect(jwt.verify(token, 1_000_000)).toEqual({ sub: '42', concertId: 7, iat: 1000, exp: 1060 });
  });

  it('agrees with jose both ways (the standard, not just itself)', async () => {
    const ours = jwt.sign({ sub: '42', eid: 3 }, 60);
    const { payload } = await jwtVerify(ours, key, { algorithms: ['HS256'] });
    expect(payload).toMatchObject({ sub: '42', eid: 3 });
    const theirs = await new SignJWT({ eid: 3 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('42')
      .setExpirationTime('1m')
      .sign(key);
    expect(jwt.verify(theirs)).toMatchObject({ sub: '42', eid: 3 });
  });

  it('refuses expired, not-yet-valid and exp-less tokens', async () => {
    const token = jwt.sign({ sub: '1' }, 60, 1_000_000);
    expect(jwt.verify(token, 1_059_999)).not.toBeNull();
    expect(jwt.verify(token, 1_060_000)).toBeNull();
    const later = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setNotBefore('1h')
      .setExpirationTime('2h')
      .sign(key);
    expect(jwt.verify(later)).toBeNull();
    const forever = await new SignJWT({ sub: '1' }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    expect(jwt.verify(forever)).toBeNull();
  });

  it('refuses other secrets, other algorithms, alg none and tampering', async () => {
    expect(
      new Hs256('another-secret-another-secret-xx').verify(jwt.sign({ sub: '1' }, 60)),
    ).toBeNull();
    const hs512 = await new SignJWT({ sub: '1' })
      .setProtectedHeader({ alg: 'HS512' })
      .setExpirationTime('1h')
      .sign(key);
    expect(jwt.verify(hs512)).toBeNull();
    const exp = Math.floor(Date.now() / 1000) + 60;
    expect(jwt.verify(`${b64({ alg: 'none' })}.${b64({ sub: '1', exp })}.`)).toBeNull();

    const [header, , signature] = jwt.sign({ sub: '1' }, 60).split('.');
    expect(jwt.verify(`${header}.${b64({ sub: '2', exp })}.${signature}`)).toBeNull();
    // The same signature bytes in a non-canonical spelling (Node's decoder would accept it).
    expect(jwt.verify(`${header}.${b64({ sub: '1', exp })}.${signature}=`)).toBeNull();
  });

  it('refuses malformed input without throwing', () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    // A correct MAC over a broken header or payload: only the parsing can refuse it.
    const signed = (header: string, payload: string) =>
      `${header}.${payload}.${createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url')}`;
    for (const bad of [
      undefined,
      42,
      '',
      'a.b',
      'a.b.c.d',
      'x'.repeat(5000),
      signed('!!!', b64({ exp })),
      signed(b64({ alg: 'HS256' }), Buffer.from('not json').toString('base64url')),
      signed(b64({ alg: 'HS256' }), b64([1, 2])),
      signed(b64({ alg: 'HS256' }), b64({ exp: String(exp) })),
      signed(b64({ alg: 'HS256', crit: ['b64'] }), b64({ exp })),
    ])
      expect(jwt.verify(bad)).toBeNull();
    expect(jwt.verify(signed(b64({ alg: 'HS256' }), b64({ exp })))).toEqual({ exp });
  });

  describe('audience (aud)', () => {
    const queue = new Hs256(SECRET, { audience: 'lineup:queue' });
    const access = new Hs256(SECRET, { audience: 'lineup:access', audienceRequired: false });

    it('signs its audience in and agrees with jose on it both ways', async () => {
      const ours = queue.sign({ sub: '42' }, 60);
      const { payload } = await jwtVerify(ours, key, { audience: 'lineup:queue' });
      expect(payload.aud).toBe('lineup:queue');
      await expect(jwtVerify(ours, key, { audience: 'lineup:access' })).rejects.toThrow();
      const theirs = (aud: string | string[]) =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('42')
          .setAudience(aud)
          .setExpirationTime('1m')
          .sign(key);
      expect(queue.verify(await theirs('lineup:queue'))).toMatchObject({ aud: 'lineup:queue' });
      expect(queue.verify(await theirs(['other', 'lineup:queue']))).not.toBeNull();
      expect(queue.verify(await theirs('lineup:access'))).toBeNull();
      expect(queue.verify(await theirs(['other', 'lineup:queue:x']))).toBeNull();
    });

    it('keeps two kinds apart even under one secret', () => {
      expect(access.verify(queue.sign({ sub: '1' }, 60))).toBeNull();
      expect(queue.verify(access.sign({ sub: '1' }, 60))).toBeNull();
      expect(access.verify(access.sign({ sub: '1' }, 60))).toMatchObject({ aud: 'lineup:access' });
    });

    it('refuses a token without aud unless told it is optional, and a malformed aud always', () => {
      const exp = Math.floor(Date.now() / 1000) + 60;
      const signed = (claims: object) => {
        const input = `${b64({ alg: 'HS256' })}.${b64(claims)}`;
        return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
      };
      expect(queue.verify(signed({ sub: '1', exp }))).toBeNull();
      expect(access.verify(signed({ sub: '1', exp }))).toEqual({ sub: '1', exp });
      for (const aud of [null, 7, [], [7], { aud: 'lineup:access' }, ''])
        expect(access.verify(signed({ sub: '1', exp, aud }))).toBeNull();
      // Without an audience of its own, a verifier ignores aud (the jose tests above).
      expect(jwt.verify(queue.sign({ sub: '1' }, 60))).toMatchObject({ aud: 'lineup:queue' });
    });
  });

  describe('remembered tokens (remember)', () => {
    const at = 1_000_000;
    const fresh = () => new Hs256(SECRET, { audience: 'lineup:queue', remember: 2 });

    it('answers a token seen before from memory: the same claims, no second decode', () => {
      const signer = fresh();
      const verifier = fresh();
      const token = signer.sign({ sub: '42', eid: 3 }, 60, at);
      // Signed here: remembered from the start.
      expect(signer.verify(token, at)).toBe(signer.verify(token, at));
      const first = verifier.verify(token, at);
      expect(first).toMatchObject({ sub: '42', eid: 3, aud: 'lineup:queue' });
      expect(verifier.verify(token, at)).toBe(first);
      expect(Object.isFrozen(first)).toBe(true);
    });

    it('still refuses a remembered token once expired, or before its nbf', async () => {
      const v = fresh();
      const token = v.sign({ sub: '1' }, 60, at);
      expect(v.verify(token, at + 59_999)).not.toBeNull();
      expect(v.verify(token, at + 60_000)).toBeNull();
      expect(v.verify(token, at)).not.toBeNull();
      const nbf = Math.floor(Date.now() / 1000) + 100;
      const later = await new SignJWT({ nbf })
        .setProtectedHeader({ alg: 'HS256' })
        .setAudience('lineup:queue')
        .setExpirationTime('1h')
        .sign(key);
      expect(v.verify(later, (nbf + 1) * 1000)).not.toBeNull();
      expect(v.verify(later, (nbf - 1) * 1000)).toBeNull();
    });

    it('remembers only genuine tokens of its audience: forged, tampered and foreign ones stay refused', () => {
      const v = fresh();
      const token = v.sign({ sub: '1' }, 60);
      expect(v.verify(token)).not.toBeNull();
      const [header, payload, signature] = token.split('.');
      const exp = Math.floor(Date.now() / 1000) + 60;
      for (let round = 0; round < 2; round++) {
        expect(
          v.verify(`${header}.${b64({ sub: '2', exp, aud: 'lineup:queue' })}.${signature}`),
        ).toBeNull();
        expect(v.verify(`${header}.${payload}.${signature}=`)).toBeNull();
        expect(
          v.verify(new Hs256('another-secret-another-secret-xx').sign({ sub: '1' }, 60)),
        ).toBeNull();
        expect(
          v.verify(new Hs256(SECRET, { audience: 'lineup:access' }).sign({ sub: '1' }, 60)),
        ).toBeNull();
      }
    });

    it('keeps at most `remember` tokens, forgetting the oldest', () => {
      const v = fresh();
      const signer = new Hs256(SECRET, { audience: 'lineup:queue' });
      const [a, b, c] = ['1', '2', '3'].map((sub) => signer.sign({ sub }, 60));
      const firstA = v.verify(a);
      expect(v.verify(b)).toBe(v.verify(b));
      expect(v.verify(a)).toBe(firstA);
      v.verify(c); // a is the oldest: forgotten
      const againA = v.verify(a);
      expect(againA).toEqual(firstA);
      expect(againA).not.toBe(firstA);
    });
  });
});
