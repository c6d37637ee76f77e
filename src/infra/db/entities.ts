import { UserSchema } from '../../modules/accounts/accounts.entities.js';
import {
  ConcertSchema,
  ScheduleSchema,
  VenueSchema,
} from '../../modules/catalogue/catalogue.entities.js';
import { WalletSchema } from '../../modules/points/points.entities.js';

// Only the tables the ORM reads or writes; the others are reached with SQL. The migrations are the
// truth (src/infra/db/migrations); test/integration/schema-agreement.test.ts checks these entities
// and the SQL's columns against the migrated database.
export const entities = [UserSchema, WalletSchema, VenueSchema, ConcertSchema, ScheduleSchema];
