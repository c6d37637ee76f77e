// Messages between the page and its join-challenge worker (challenge-worker.ts). Types only: the
// worker's bundle takes nothing from the page but these shapes.

/** Page -> worker: solve this challenge, reporting after every `chunk` candidates. */
export interface SolveRequest {
  nonce: string;
  bits: number;
  chunk: number;
}

/** Worker -> page: candidates tried so far, and the solution once found. */
export type SolveReport =
  { type: 'progress'; tried: number } | { type: 'solved'; tried: number; solution: string };
