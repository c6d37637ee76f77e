// LineupClient's one way to the API: the access and queue tokens, the Idempotency-Key (one per
// call, kept across its retries), the call's deadline and the retries of idempotent calls.
import { Deadline, type CallOptions } from './cancel.js';
import type { IdempotencyOptions, LineupClientOptions } from './client-options.js';
import { QUEUE_TOKEN_HEADER } from './contract/names.js';
import { joinUrl, request, type FetchLike } from './http.js';
import { newIdempotencyKey, withRetries } from './retry.js';

export interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  /** Send the access token (default true). */
  auth?: boolean;
  queueToken?: string;
  /** Makes the call idempotent: sends this key (or a fresh one) and allows retries. */
  idempotent?: IdempotencyOptions;
  options?: CallOptions;
}

/** What a call needs of its client. */
export interface Sender {
  baseUrl: string;
  token: string | undefined;
  fetchImpl: FetchLike;
  defaults: Pick<LineupClientOptions, 'timeoutMs' | 'retry'>;
}

export async function send<T>(
  client: Sender,
  spec: RequestSpec,
): Promise<{ status: number; body: T }> {
  const callOptions = spec.idempotent ?? spec.options ?? {};
  const deadline = new Deadline(`${spec.method} ${spec.path.split('?')[0]}`, {
    signal: callOptions.signal,
    timeoutMs: callOptions.timeoutMs ?? client.defaults.timeoutMs,
  });
  const headers: Record<string, string> = { accept: 'application/json' };
  if (spec.auth !== false && client.token) headers.authorization = `Bearer ${client.token}`;
  if (spec.queueToken !== undefined) headers[QUEUE_TOKEN_HEADER] = spec.queueToken;
  // One key for every attempt of this call: a retry replays, it never repeats the effect.
  if (spec.idempotent)
    headers['Idempotency-Key'] = spec.idempotent.idempotencyKey ?? newIdempotencyKey();
  let payload: string | undefined;
  if (spec.body !== undefined) {
    payload = JSON.stringify(spec.body);
    headers['content-type'] = 'application/json';
  }
  const url = joinUrl(client.baseUrl, spec.path);
  const attempt = () =>
    request<T>(client.fetchImpl, url, { method: spec.method, headers, body: payload }, deadline);
  try {
    if (!spec.idempotent) return await attempt();
    return await withRetries(attempt, spec.idempotent.retry ?? client.defaults.retry, deadline);
  } finally {
    deadline.dispose();
  }
}

export function query(params: object): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params) as [string, unknown][]) {
    if (value !== undefined) search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
