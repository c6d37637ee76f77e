import { describe, expect, it } from 'vitest';
import {
  ERROR_CATALOGUE,
  ERROR_CODES,
  ErrorEnvelope,
  errorStatus,
  isErrorCode,
} from '@lineup/client-sdk/contract';
import { AppError } from '../../src/infra/app-error.js';

describe('the contract’s error catalogue', () => {
  it('gives every code a 4xx or 5xx status and a message', () => {
    expect(ERROR_CODES.length).toBe(Object.keys(ERROR_CATALOGUE).length);
    for (const code of ERROR_CODES) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(errorStatus(code)).toBeGreaterThanOrEqual(400);
      expect(errorStatus(code)).toBeLessThan(600);
      expect(ERROR_CATALOGUE[code].message).toMatch(/\.$/);
    }
  });

  it('types the envelope’s code: a catalogue code parses, anything else does not', () => {
    const body = new AppError('SEAT_UNAVAILABLE', { details: { seatIds: [1] } }).toBody();
    expect(ErrorEnvelope.parse(body)).toEqual(body);
    expect(ErrorEnvelope.safeParse({ error: { code: 'SEAT_GONE', message: 'x' } }).success).toBe(
      false,
    );
    expect(isErrorCode('SEAT_UNAVAILABLE')).toBe(true);
    expect(isErrorCode('NETWORK_ERROR')).toBe(false);
  });

  it('gives AppError the catalogue’s status and message', () => {
    const err = new AppError('QUEUE_FULL');
    expect(err.status).toBe(503);
    expect(err.message).toBe(ERROR_CATALOGUE.QUEUE_FULL.message);
    expect(ERROR_CATALOGUE.CHARGE_AMOUNT_OUT_OF_RANGE.message).toBe(
      'A charge must be between 1,000 and 1,000,000.',
    );
  });
});
