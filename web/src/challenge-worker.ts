// The join challenge's proof of work (SPEC §2), off the page's main thread: a dedicated Web Worker
// bundled on its own (scripts/build-web.mjs) and started only when a concert asks for a proof.
// The hashing is the SDK's `solveRange` (one solver for SDK, page and bench); this file only walks
// the candidates chunk by chunk and reports. No yielding between chunks: the page stops a worker
// it no longer needs with terminate().
import { solveRange } from '@lineup/client-sdk';
import type { SolveReport, SolveRequest } from './challenge-protocol.js';

// The page's tsconfig types `self` as a Window; in a dedicated worker it is this.
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<SolveRequest>) => void) | null;
  postMessage(report: SolveReport): void;
};

scope.onmessage = ({ data: { nonce, bits, chunk } }) => {
  for (let start = 0; ; start += chunk) {
    const solution = solveRange(nonce, bits, start, chunk);
    if (solution !== null) {
      // Candidates are counters in base 36: the solution's value says how many were tried.
      scope.postMessage({ type: 'solved', tried: parseInt(solution, 36) + 1, solution });
      return;
    }
    scope.postMessage({ type: 'progress', tried: start + chunk });
  }
};
