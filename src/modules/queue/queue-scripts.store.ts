import { defineScripts, type RedisClient } from '../../infra/redis/scripts.js';
import { QueueKeys } from './queue.keys.js';

// The Lua scripts of ./lua (atomic per concert) bound to one Redis client and key prefix: what
// every part of the queue's Redis edge (entries, lease, admission, policy) calls through.

const SCRIPT_DIR = new URL('./lua/', import.meta.url).pathname;

export type ScriptName =
  | 'join'
  | 'entryStatus'
  | 'leave'
  | 'expireActive'
  | 'removeAbandoned'
  | 'shuffle'
  | 'admit'
  | 'copyLease'
  | 'acquireLease'
  | 'renewLease'
  | 'releaseLease'
  | 'touchSeen'
  | 'retire'
  | 'closeLine';

/** cjson encodes an empty Lua table as {}; the callers expect arrays. */
export function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

export class QueueScripts {
  readonly keys: QueueKeys;
  readonly scripts: Record<ScriptName, (...args: (string | number)[]) => Promise<unknown>>;

  constructor(
    readonly redis: RedisClient,
    prefix: string,
  ) {
    this.keys = new QueueKeys(prefix);
    this.scripts = defineScripts<ScriptName>(redis, SCRIPT_DIR);
  }

  async json<T>(name: ScriptName, ...args: (string | number)[]): Promise<T> {
    return JSON.parse((await this.scripts[name](...args)) as string) as T;
  }

  call(
    pipeline: ReturnType<RedisClient['pipeline']>,
    name: ScriptName,
    ...args: (string | number)[]
  ): void {
    (pipeline as unknown as Record<string, (...a: (string | number)[]) => unknown>)[name]!(...args);
  }
}
