import { Migration20261121000000_initial } from './Migration20261121000000_initial.js';
import { Migration20261210000000_reservationQueueEntry } from './Migration20261210000000_reservationQueueEntry.js';
import { Migration20261215000000_withdrawalLedgerType } from './Migration20261215000000_withdrawalLedgerType.js';
import { Migration20261220000000_queueFairness } from './Migration20261220000000_queueFairness.js';
import { Migration20261221000000_bookingCounters } from './Migration20261221000000_bookingCounters.js';
import { Migration20261222000000_idempotencyInStatement } from './Migration20261222000000_idempotencyInStatement.js';
import { Migration20261223000000_bookingCountedOnce } from './Migration20261223000000_bookingCountedOnce.js';
import { Migration20261224000000_bookingHoldLock } from './Migration20261224000000_bookingHoldLock.js';
import { Migration20261225000000_bookingHoldRefusal } from './Migration20261225000000_bookingHoldRefusal.js';
import { Migration20261227000000_scheduleCounterFillfactor } from './Migration20261227000000_scheduleCounterFillfactor.js';
import { Migration20261226000000_bookingGenericPlans } from './Migration20261226000000_bookingGenericPlans.js';
import { Migration20261228000000_idempotencyWrittenOnce } from './Migration20261228000000_idempotencyWrittenOnce.js';
import { Migration20261229000000_bookingHoldMany } from './Migration20261229000000_bookingHoldMany.js';

// Listed explicitly (not discovered from disk) so the same list works from src/ under tsx and
// vitest and from dist/ after the build.
export const migrationsList = [
  { name: 'Migration20261121000000_initial', class: Migration20261121000000_initial },
  {
    name: 'Migration20261210000000_reservationQueueEntry',
    class: Migration20261210000000_reservationQueueEntry,
  },
  {
    name: 'Migration20261215000000_withdrawalLedgerType',
    class: Migration20261215000000_withdrawalLedgerType,
  },
  { name: 'Migration20261220000000_queueFairness', class: Migration20261220000000_queueFairness },
  {
    name: 'Migration20261221000000_bookingCounters',
    class: Migration20261221000000_bookingCounters,
  },
  {
    name: 'Migration20261222000000_idempotencyInStatement',
    class: Migration20261222000000_idempotencyInStatement,
  },
  {
    name: 'Migration20261223000000_bookingCountedOnce',
    class: Migration20261223000000_bookingCountedOnce,
  },
  {
    name: 'Migration20261224000000_bookingHoldLock',
    class: Migration20261224000000_bookingHoldLock,
  },
  {
    name: 'Migration20261225000000_bookingHoldRefusal',
    class: Migration20261225000000_bookingHoldRefusal,
  },
  {
    name: 'Migration20261226000000_bookingGenericPlans',
    class: Migration20261226000000_bookingGenericPlans,
  },
  {
    name: 'Migration20261227000000_scheduleCounterFillfactor',
    class: Migration20261227000000_scheduleCounterFillfactor,
  },
  {
    name: 'Migration20261228000000_idempotencyWrittenOnce',
    class: Migration20261228000000_idempotencyWrittenOnce,
  },
  {
    name: 'Migration20261229000000_bookingHoldMany',
    class: Migration20261229000000_bookingHoldMany,
  },
];
