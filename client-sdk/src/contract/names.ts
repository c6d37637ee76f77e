// The contract's plain names, in a module without zod: the SDK's runtime (the HTTP client, the
// waiting-room connection) imports only these values from the contract, so a browser bundle of the
// SDK carries the schemas' types but not zod's runtime (issue 19). The schemas use them too.

export const QUEUE_TOKEN_HEADER = 'X-Queue-Token';

/**
 * On `GET /queue/status` answers: the line's tick the position is exact as of (SPEC §5's `tick`,
 * which the HTTP body does not carry), so a client following frames can compare like with like.
 */
export const QUEUE_TICK_HEADER = 'Queue-Tick';

/** Socket.IO namespace of the waiting room (SPEC §5). */
export const QUEUE_NAMESPACE = '/queue';

/** Why a fan's place ended (`queue:ended`, and `details.reason` of a 410 from `GET /queue/status`). */
export const QUEUE_END_REASONS = ['completed', 'expired', 'left', 'removed', 'closed'] as const;

/**
 * What operators may set on a running line (`PATCH /admin/concerts/:id/queue`), whole numbers
 * from `min` to `max`. Plain numbers (no zod) so the operators' console can show them.
 */
export const POLICY_LIMITS = {
  maxActive: { min: 1, max: 100_000 },
  admitPerMinute: { min: 1, max: 1_000_000 },
  maxWaiting: { min: 1, max: 10_000_000 },
  activeIdleSeconds: { min: 1, max: 86_400 },
  activeMaxSeconds: { min: 1, max: 86_400 },
  /** Join challenge difficulty in leading zero bits (SPEC §2); 0 = off. */
  challengeBits: { min: 0, max: 24 },
} as const;
export type PolicyLimitName = keyof typeof POLICY_LIMITS;
