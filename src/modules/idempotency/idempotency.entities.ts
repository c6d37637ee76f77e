import { BigIntType, EntitySchema, type Opt } from '@mikro-orm/core';

export class IdempotencyKey {
  id!: number;
  userId!: number;
  key!: string;
  requestHash!: string;
  status: 'in_progress' | 'completed' = 'in_progress';
  lockedUntil!: Date;
  responseStatus: number | null = null;
  responseBody: unknown = null;
  createdAt: Date & Opt = new Date();
}

export const IdempotencyKeySchema = new EntitySchema<IdempotencyKey>({
  class: IdempotencyKey,
  tableName: 'idempotency_keys',
  properties: {
    id: { type: new BigIntType('number'), primary: true, autoincrement: true },
    userId: { type: 'integer' },
    key: { type: 'string', length: 255 },
    requestHash: { type: 'string', length: 64 },
    status: { type: 'string', length: 12 },
    lockedUntil: { type: 'datetime', columnType: 'timestamptz' },
    responseStatus: { type: 'integer', nullable: true },
    responseBody: { type: 'json', nullable: true },
    createdAt: { type: 'datetime', columnType: 'timestamptz' },
  },
});
