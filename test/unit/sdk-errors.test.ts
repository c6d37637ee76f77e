import { describe, expect, it } from 'vitest';
import {
  CLIENT_ERROR_CODES,
  ERROR_CODES,
  isClientErrorCode,
  isLineupError,
  LineupError,
  NETWORK_ERROR,
  UNEXPECTED_RESPONSE,
} from '@lineup/client-sdk';
import { parseRetryAfter } from '../../client-sdk/src/errors.js';

describe('LineupError from an HTTP answer', () => {
  it('takes code, message and details from the SPEC envelope', () => {
    const body = JSON.stringify({
      error: { code: 'SEAT_UNAVAILABLE', message: 'taken', details: { seatIds: [3, 4] } },
    });
    const err = LineupError.fromHttp(409, body);
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(LineupError);
    expect(err).toMatchObject({
      name: 'LineupError',
      code: 'SEAT_UNAVAILABLE',
      message: 'taken',
      status: 409,
      details: { seatIds: [3, 4] },
      retryAfterSeconds: undefined,
    });
  });

  it('reads Retry-After in seconds or as an HTTP date', () => {
    const body = JSON.stringify({ error: { code: 'QUEUE_FULL', message: 'full' } });
    expect(LineupError.fromHttp(503, body, '7').retryAfterSeconds).toBe(7);
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:00 GMT', now + 5_000)).toBe(0);
    expect(parseRetryAfter(' 12 ')).toBe(12);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('keeps details undefined when absent or not an object, and the code as message when none', () => {
    const err = LineupError.fromHttp(
      401,
      JSON.stringify({ error: { code: 'UNAUTHENTICATED', details: [1] } }),
    );
    expect(err.details).toBeUndefined();
    expect(err.message).toBe('UNAUTHENTICATED');
  });

  it('calls anything that is not an envelope UNEXPECTED_RESPONSE, with the status', () => {
    for (const body of ['<html>Bad Gateway</html>', '', '{"error":"x"}', '[]', '{"error":{}}']) {
      const err = LineupError.fromHttp(502, body);
      expect(err.code).toBe(UNEXPECTED_RESPONSE);
      expect(err.status).toBe(502);
    }
    expect(LineupError.fromHttp(502, 'x'.repeat(1_000)).message.length).toBeLessThan(250);
  });

  it('reads a fetch Response', async () => {
    const res = new Response(
      JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'slow down' } }),
      { status: 429, headers: { 'Retry-After': '3' } },
    );
    const err = await LineupError.fromResponse(res);
    expect(err).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterSeconds: 3 });
  });
});

describe('LineupError without an HTTP answer', () => {
  it('is NETWORK_ERROR with status 0 and the cause', () => {
    const cause = new TypeError('fetch failed');
    const err = LineupError.network(cause);
    expect(err).toMatchObject({ code: NETWORK_ERROR, status: 0 });
    expect(err.cause).toBe(cause);
    expect(err.message).toContain('fetch failed');
  });

  it('takes a socket handshake code from data.code or the message', () => {
    const withData = Object.assign(new Error('QUEUE_TOKEN_INVALID'), {
      data: { code: 'QUEUE_TOKEN_INVALID' },
    });
    expect(LineupError.fromConnectError(withData)).toMatchObject({
      code: 'QUEUE_TOKEN_INVALID',
      status: 401, // the catalogue's status for the code, as over HTTP (issue 18)
    });
    expect(LineupError.fromConnectError(new Error('ADMISSION_EXPIRED')).code).toBe(
      'ADMISSION_EXPIRED',
    );
    // socket.io-client's own transport failures are network errors, not codes.
    expect(LineupError.fromConnectError(new Error('websocket error')).code).toBe(NETWORK_ERROR);
    expect(LineupError.fromConnectError(new Error('timeout')).code).toBe(NETWORK_ERROR);
  });

  it('is recognised by isLineupError, optionally by code', () => {
    const err = new LineupError({ code: 'PHONE_TAKEN', status: 409 });
    expect(isLineupError(err)).toBe(true);
    expect(isLineupError(err, 'PHONE_TAKEN')).toBe(true);
    expect(isLineupError(err, 'NOT_FOUND')).toBe(false);
    expect(isLineupError(new Error('PHONE_TAKEN'))).toBe(false);
  });
});

describe('typed error codes and details (issue 18)', () => {
  it('accepts only the contract codes and the SDK codes, and types details per code', () => {
    const err: unknown = LineupError.fromHttp(
      409,
      JSON.stringify({
        error: { code: 'SEAT_UNAVAILABLE', message: 'x', details: { seatIds: [7] } },
      }),
    );
    // @ts-expect-error -- a misspelt code does not compile
    expect(isLineupError(err, 'SEAT_UNAVAILBLE')).toBe(false);
    if (!isLineupError(err, 'SEAT_UNAVAILABLE')) throw new Error('expected SEAT_UNAVAILABLE');
    const ids: number[] | undefined = err.details?.seatIds;
    expect(ids).toEqual([7]);
    expect(err.isClientSide).toBe(false);
  });

  it('keeps the SDK codes apart from the server codes', () => {
    for (const code of CLIENT_ERROR_CODES) expect(ERROR_CODES).not.toContain(code);
    expect(isClientErrorCode('ABORTED')).toBe(true);
    expect(isClientErrorCode('SEAT_UNAVAILABLE')).toBe(false);
    expect(LineupError.network(new Error('x')).isClientSide).toBe(true);
  });

  it('gives refusals that came without HTTP (socket acks, handshakes) the catalogue status', () => {
    expect(LineupError.fromServerCode('NOT_ADMITTED', 'no')).toMatchObject({
      code: 'NOT_ADMITTED',
      status: 403,
    });
    const handshake = Object.assign(new Error('QUEUE_TOKEN_INVALID'), {
      data: { code: 'QUEUE_TOKEN_INVALID' },
    });
    expect(LineupError.fromConnectError(handshake)).toMatchObject({ status: 401 });
    expect(LineupError.fromServerCode('SOMETHING_NEW').status).toBe(0);
  });
});
