// The page's solver for a join challenge (SPEC §2): a Web Worker, so the page stays responsive
// while the fan's browser hashes; the SDK's chunked `solveChallenge` on the main thread where a
// browser has no Worker or the worker script cannot start.
import { solveChallenge, type SolveOptions } from '@lineup/client-sdk';
import type { SolveReport, SolveRequest } from './challenge-protocol.js';

/** The worker bundle's file name (content-hashed), set by scripts/build-web.mjs. */
declare const CHALLENGE_WORKER: string;

/** Candidates per progress report: ~0.1 s of hashing on a slow phone, so the line moves. */
const CHUNK = 8_192;

export type Solver = 'worker' | 'main';

export interface PageSolveOptions extends SolveOptions {
  /** Told which solver runs (and again if the worker fails and the main thread takes over). */
  onSolver?: (solver: Solver) => void;
}

export function solveInPage(
  nonce: string,
  bits: number,
  options: PageSolveOptions = {},
): Promise<string> {
  const onMain = () => {
    options.onSolver?.('main');
    return solveChallenge(nonce, bits, { ...options, chunk: CHUNK });
  };
  if (bits <= 0 || typeof Worker === 'undefined' || typeof CHALLENGE_WORKER !== 'string')
    return onMain();
  let worker: Worker;
  try {
    worker = new Worker(new URL(CHALLENGE_WORKER, import.meta.url), { name: 'join-challenge' });
  } catch {
    return onMain(); // e.g. a Content-Security-Policy without worker-src 'self'
  }
  options.onSolver?.('worker');
  const { signal, onProgress } = options;
  const expected = 2 ** bits;
  return new Promise<string>((resolve, reject) => {
    const stop = () => {
      worker.terminate();
      signal?.removeEventListener('abort', abort);
    };
    const abort = () => {
      stop();
      reject(signal!.reason);
    };
    if (signal?.aborted) return abort();
    signal?.addEventListener('abort', abort, { once: true });
    worker.onmessage = ({ data }: MessageEvent<SolveReport>) => {
      onProgress?.(data.tried, expected);
      if (data.type !== 'solved') return;
      stop();
      resolve(data.solution);
    };
    worker.onerror = (event) => {
      // The script did not load or threw: solve here rather than leave the fan stuck.
      event.preventDefault();
      stop();
      if (signal?.aborted) return reject(signal.reason);
      onMain().then(resolve, reject);
    };
    worker.postMessage({ nonce, bits, chunk: CHUNK } satisfies SolveRequest);
  });
}
