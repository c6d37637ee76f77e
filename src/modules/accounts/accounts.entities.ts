import { EntitySchema, type Opt } from '@mikro-orm/core';

export class User {
  id!: number;
  name!: string;
  phone!: string;
  passwordHash!: string;
  createdAt: Date & Opt = new Date();
}

export const UserSchema = new EntitySchema<User>({
  class: User,
  tableName: 'users',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    name: { type: 'string', length: 100 },
    phone: { type: 'string', length: 20, unique: 'users_phone_unique' },
    passwordHash: { type: 'string', length: 255, hidden: true },
    createdAt: { type: 'datetime', columnType: 'timestamptz' },
  },
});
