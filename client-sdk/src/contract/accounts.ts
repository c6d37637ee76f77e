import { z } from 'zod';
import { Text } from './common.js';

export const Phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 -]{6,18}[0-9]$/, 'must be a phone number like 010-1234-5678')
  // One canonical form, so 010-1234-5678 and 01012345678 are the same account.
  .transform((p) => p.replace(/[ -]/g, ''))
  // The stored form has at most 20 characters ("+" and up to 19 digits).
  .refine((p) => p.length <= 20, 'must have at most 19 digits');

export const CreateUserBody = z.strictObject({
  name: Text(100),
  phone: Phone,
  password: z.string().min(8).max(128),
});
export type CreateUserBody = z.input<typeof CreateUserBody>;

export const PublicUser = z.object({ id: z.number().int(), name: z.string(), phone: z.string() });
export type PublicUser = z.infer<typeof PublicUser>;

export const CreateUserResponse = z.object({ user: PublicUser, accessToken: z.string() });
export type CreateUserResponse = z.infer<typeof CreateUserResponse>;

export const LoginBody = z.strictObject({
  phone: Phone,
  password: z.string().min(1).max(128),
});
export type LoginBody = z.input<typeof LoginBody>;

export const LoginResponse = z.object({ accessToken: z.string(), expiresIn: z.number().int() });
export type LoginResponse = z.infer<typeof LoginResponse>;
