import type { RedisClient } from '../../infra/redis/scripts.js';
import type { QueueKeys } from './queue.keys.js';
import { QueueScripts } from './queue-scripts.store.js';
import { QueueEntriesStore } from './queue-entries.store.js';
import { QueueLeaseStore } from './queue-lease.store.js';
import { QueueAdmissionStore } from './queue-admission.store.js';
import { QueuePolicyStore } from './queue-policy.store.js';

// Redis edge of the queue: every read and write of queue state goes through a Lua script in
// ./lua (atomic per concert) or a plain command on a single key. This class is the one door the
// queue's service, leader and fairness use; the work lives in the stores by concern below.

export type {
  EntryState,
  JoinLimits,
  JoinResult,
  StatusResult,
  WindowLimit,
} from './queue-entries.store.js';
export { LATE_TICKET_OFFSET } from './queue-entries.store.js';
export type { Lease, LeaderInfo } from './queue-lease.store.js';
export type { ConcertSweep, ConcertTick, SeatBudget, TickResult } from './queue-admission.store.js';
export type { PolicyDefaults, QueuePolicy } from './queue-policy.store.js';

// The methods are plain fields (bound to their store) so a test can wrap one on this instance.
export class QueueStore {
  readonly keys: QueueKeys;
  // entries (queue-entries.store.ts)
  join: QueueEntriesStore['join'];
  status: QueueEntriesStore['status'];
  statuses: QueueEntriesStore['statuses'];
  touchSeen: QueueEntriesStore['touchSeen'];
  leave: QueueEntriesStore['leave'];
  registerConcert: QueueEntriesStore['registerConcert'];
  concerts: QueueEntriesStore['concerts'];
  retire: QueueEntriesStore['retire'];
  closeLine: QueueEntriesStore['closeLine'];
  // lease (queue-lease.store.ts)
  acquireLease: QueueLeaseStore['acquireLease'];
  renewLease: QueueLeaseStore['renewLease'];
  releaseLease: QueueLeaseStore['releaseLease'];
  leader: QueueLeaseStore['leader'];
  // admission (queue-admission.store.ts)
  sweep: QueueAdmissionStore['sweep'];
  admit: QueueAdmissionStore['admit'];
  prequeueEntries: QueueAdmissionStore['prequeueEntries'];
  shuffle: QueueAdmissionStore['shuffle'];
  fairnessState: QueueAdmissionStore['fairnessState'];
  // policy (queue-policy.store.ts)
  policyOverrides: QueuePolicyStore['policyOverrides'];
  setPolicy: QueuePolicyStore['setPolicy'];
  counts: QueuePolicyStore['counts'];

  constructor(
    readonly redis: RedisClient,
    prefix: string,
  ) {
    const scripts = new QueueScripts(redis, prefix);
    this.keys = scripts.keys;
    const entries = new QueueEntriesStore(scripts);
    this.join = entries.join.bind(entries);
    this.status = entries.status.bind(entries);
    this.statuses = entries.statuses.bind(entries);
    this.touchSeen = entries.touchSeen.bind(entries);
    this.leave = entries.leave.bind(entries);
    this.registerConcert = entries.registerConcert.bind(entries);
    this.concerts = entries.concerts.bind(entries);
    this.retire = entries.retire.bind(entries);
    this.closeLine = entries.closeLine.bind(entries);
    const lease = new QueueLeaseStore(scripts);
    this.acquireLease = lease.acquireLease.bind(lease);
    this.renewLease = lease.renewLease.bind(lease);
    this.releaseLease = lease.releaseLease.bind(lease);
    this.leader = lease.leader.bind(lease);
    const admission = new QueueAdmissionStore(scripts);
    this.sweep = admission.sweep.bind(admission);
    this.admit = admission.admit.bind(admission);
    this.prequeueEntries = admission.prequeueEntries.bind(admission);
    this.shuffle = admission.shuffle.bind(admission);
    this.fairnessState = admission.fairnessState.bind(admission);
    const policy = new QueuePolicyStore(scripts);
    this.policyOverrides = policy.policyOverrides.bind(policy);
    this.setPolicy = policy.setPolicy.bind(policy);
    this.counts = policy.counts.bind(policy);
  }
}
