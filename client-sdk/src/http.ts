import type { Deadline } from './cancel.js';
import { LineupError, UNEXPECTED_RESPONSE } from './errors.js';

/** The `fetch` the SDK calls: the global one (browsers, Node >= 18) or your own. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** The default fetch, looked up at call time and called unbound (browsers insist on that). */
export const globalFetch: FetchLike = (input, init) => globalThis.fetch(input, init);

/** Joins a base URL and a path without doubling or dropping the slash. */
export function joinUrl(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
}

/**
 * One HTTP exchange: a non-2xx answer throws its LineupError, a failed connection throws
 * NETWORK_ERROR, a 2xx answer returns its parsed JSON (undefined for an empty body, e.g. 204).
 * With a `deadline`, the request is aborted when it fires and throws its ABORTED/TIMEOUT error.
 */
export async function request<T>(
  fetchImpl: FetchLike,
  url: string,
  init: RequestInit,
  deadline?: Deadline,
): Promise<{ status: number; body: T }> {
  deadline?.check();
  const failed = (err: unknown) => deadline?.error ?? LineupError.network(err);
  let res: Response;
  try {
    // A call nothing can cancel sends no signal (making one costs more than the rest of it).
    res = await fetchImpl(url, deadline?.cancellable ? { ...init, signal: deadline.signal } : init);
  } catch (err) {
    throw failed(err);
  }
  if (!res.ok) {
    const error = await LineupError.fromResponse(res);
    throw deadline?.error ?? error;
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw failed(err);
  }
  if (!text) return { status: res.status, body: undefined as T };
  try {
    return { status: res.status, body: JSON.parse(text) as T };
  } catch {
    throw new LineupError({
      code: UNEXPECTED_RESPONSE,
      message: `HTTP ${res.status} with a body that is not JSON`,
      status: res.status,
    });
  }
}
