// The contract's plain names, in a module without zod: the SDK's runtime (the HTTP client, the
// waiting-room connection) imports only these values from the contract, so a browser bundle of the
// SDK carries the schemas' types but not zod's runtime (issue 19). The schemas use them too.

export const QUEUE_TOKEN_HEADER = 'X-Queue-Token';

/** Socket.IO namespace of the waiting room (SPEC §5). */
export const QUEUE_NAMESPACE = '/queue';

/** Why a fan's place ended (`queue:ended`, and `details.reason` of a 410 from `GET /queue/status`). */
export const QUEUE_END_REASONS = ['completed', 'expired', 'left', 'removed', 'closed'] as const;
