// The Lineup contract: zod schemas for every request, response and socket payload, defined once.
// The server validates with them and generates its OpenAPI document from them; clients get the
// same schemas and the types inferred from them.
export * from './names.js';
export * from './limits.js';
export * from './errors.js';
export * from './common.js';
export * from './accounts.js';
export * from './points.js';
export * from './catalogue.js';
export * from './queue.js';
export * from './events.js';
export * from './booking.js';
export * from './fairness.js';
