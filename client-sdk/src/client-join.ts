import { solveChallenge } from './challenge.js';
import type { JoinOptions } from './client-options.js';
import type { JoinChallenge } from './contract/queue.js';
import { LineupError } from './errors.js';

type Solution = { nonce: string; solution: string };

/**
 * `join` with `options.challenge` (if any); when the concert prices joins with a proof of work
 * (SPEC §2: 428 CHALLENGE_REQUIRED), fetches a challenge, solves it (`options.solver`, else in
 * this thread) and joins once more with it. A fan already in line never gets the 428 (re-joins
 * need none); `solve: false` hands the 428 to the caller.
 */
export async function solvingChallenge<T>(
  join: (challenge?: Solution) => Promise<T>,
  fetchChallenge: () => Promise<JoinChallenge>,
  options: JoinOptions,
): Promise<T> {
  try {
    return await join(options.challenge);
  } catch (err) {
    if (
      !(err instanceof LineupError) ||
      err.code !== 'CHALLENGE_REQUIRED' ||
      options.solve === false
    )
      throw err;
    const challenge = await fetchChallenge();
    const solve = options.solver ?? solveChallenge;
    const solution = await solve(challenge.nonce, challenge.bits, {
      onProgress: options.onChallengeProgress,
      signal: options.signal,
    });
    return join({ nonce: challenge.nonce, solution });
  }
}
