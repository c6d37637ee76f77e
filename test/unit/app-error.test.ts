import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/infra/app-error.js';

// A refusal (4xx) is built without a stack trace (a seat storm builds one per request); a fault
// (5xx) keeps its stack for the log. Neither changes what the envelope says.
describe('AppError', () => {
  it('captures no stack frames for a refusal, and leaves the stack limit as it was', () => {
    const limit = Error.stackTraceLimit;
    const err = new AppError('SEAT_UNAVAILABLE', { details: { seatIds: [7] } });
    expect(err.stack).not.toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('plain').stack).toMatch(/\n\s+at /);
    expect(err).toBeInstanceOf(Error);
    expect(err.toBody()).toEqual({
      error: {
        code: 'SEAT_UNAVAILABLE',
        message: err.message,
        details: { seatIds: [7] },
      },
    });
    expect(err.status).toBe(409);
  });

  it('keeps the stack of a fault (5xx)', () => {
    const err = new AppError('SERVICE_UNAVAILABLE');
    expect(err.status).toBe(503);
    expect(err.stack).toMatch(/\n\s+at /);
  });
});
