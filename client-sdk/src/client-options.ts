// The options of LineupClient's calls (re-exported by client.ts and the package index).
import type { CallOptions } from './cancel.js';
import type { SolveOptions } from './challenge.js';
import type { JoinResponse } from './contract/queue.js';
import type { FetchLike } from './http.js';
import type { RetrySetting } from './retry.js';

export interface LineupClientOptions {
  /** Where the API is served, e.g. `https://tickets.example.com` (no trailing path needed). */
  baseUrl: string;
  /** A token from an earlier `signUp`/`login`; those two set it themselves. */
  accessToken?: string;
  fetch?: FetchLike;
  /** A time limit for every call that gives none of its own (ms; default: none). */
  timeoutMs?: number;
  /**
   * Retries of charge, hold, payment and withdrawal (the calls with an Idempotency-Key) on
   * NETWORK_ERROR, 503 and IDEMPOTENCY_KEY_IN_USE, with the same key. Off by default; `true` = 3
   * retries, backoff from 200 ms to 5 s with full jitter, at least `Retry-After`.
   */
  retry?: RetrySetting;
}

export interface IdempotencyOptions extends CallOptions {
  /**
   * Send the same key when you retry the same request: the server then replays the first answer
   * instead of charging, holding or paying twice (kept at least 24 h, scoped to the user). When
   * you give none, the SDK makes one per call (and reuses it for its own retries).
   */
  idempotencyKey?: string;
  /** This call's retries (overrides the client's `retry`). */
  retry?: RetrySetting;
}

export interface HistoryOptions extends CallOptions {
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** 1..100, default 20. */
  limit?: number;
}

export interface JoinOptions extends CallOptions {
  /** A challenge already solved (otherwise the SDK solves one when the server asks: 428). */
  challenge?: { nonce: string; solution: string };
  /** false: answer 428 CHALLENGE_REQUIRED to the caller instead of solving. */
  solve?: boolean;
  /** How to solve (default: `solveChallenge`, in this thread; the page passes a Web Worker). */
  solver?: (nonce: string, bits: number, options: SolveOptions) => Promise<string>;
  /** Progress of the solver: hashes tried and the expected total (for a progress line). */
  onChallengeProgress?: (tried: number, expected: number) => void;
}

export type JoinResult = JoinResponse & {
  /** True when this call put the fan in line (201), false when they already were (200). */
  created: boolean;
};

export interface SeatsOptions extends CallOptions {
  /** `available`: only the seats that can be held now. */
  status?: 'available';
}
