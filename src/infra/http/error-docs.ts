import { z } from 'zod';
import { ERROR_CATALOGUE, ErrorEnvelope, type ErrorCode } from '@lineup/client-sdk/contract';

// The documented error answers of a route, derived from the contract's catalogue: a route names
// the codes it may answer and the catalogue gives their statuses and messages, so the OpenAPI
// document cannot drift from what the server sends.

/** Codes whose answers carry a Retry-After header (SPEC §4). */
const WITH_RETRY_AFTER: ReadonlySet<ErrorCode> = new Set(['RATE_LIMITED', 'QUEUE_FULL']);

export interface ErrorResponseDoc {
  description: string;
  schema: z.ZodType;
  headers?: Record<string, { description: string; schema: { type: 'integer' } }>;
}

/** One documented response per status: its codes, their messages and an envelope typed to them. */
export function errorResponses(codes: Iterable<ErrorCode>): Record<number, ErrorResponseDoc> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERROR_CATALOGUE[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const docs: Record<number, ErrorResponseDoc> = {};
  for (const [status, list] of byStatus) {
    const [first, ...rest] = list as [ErrorCode, ...ErrorCode[]];
    docs[status] = {
      description: list.map((c) => `${c}: ${ERROR_CATALOGUE[c].message}`).join(' '),
      schema: ErrorEnvelope.extend({
        error: ErrorEnvelope.shape.error.extend({ code: z.enum([first, ...rest]) }),
      }),
      ...(list.some((c) => WITH_RETRY_AFTER.has(c))
        ? {
            headers: {
              'Retry-After': {
                description: 'Seconds to wait before retrying.',
                schema: { type: 'integer' },
              },
            },
          }
        : {}),
    };
  }
  return docs;
}
