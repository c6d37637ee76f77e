import type { RateLimits } from '../../infra/http/rate-limits.js';
import type { Api } from '../../infra/http/api.js';
import {
  CreateUserBody,
  CreateUserResponse,
  LoginBody,
  LoginResponse,
} from '@lineup/client-sdk/contract';
import type { AccountsService } from './accounts.service.js';

export function accountsRoutes(api: Api, accounts: AccountsService, limits: RateLimits): void {
  api.route(
    {
      method: 'post',
      path: '/users',
      before: [limits.limit('signUpPerIp', (req) => req.ip)],
      summary: 'Sign up a fan (name, phone, password)',
      tags: ['accounts'],
      body: CreateUserBody,
      errors: ['RATE_LIMITED', 'VALIDATION_FAILED', 'PHONE_TAKEN'],
      responses: {
        201: { description: 'Created', schema: CreateUserResponse },
      },
    },
    async ({ body, res }) => {
      res.status(201).json(await accounts.register(body));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/auth/login',
      // Failed logins are limited in the service (per phone and address, per address, per phone).
      before: [limits.limit('loginPerIp', (req) => req.ip)],
      summary: 'Log in with phone and password',
      tags: ['accounts'],
      body: LoginBody,
      errors: ['RATE_LIMITED', 'INVALID_CREDENTIALS'],
      responses: {
        200: { description: 'Access token', schema: LoginResponse },
      },
    },
    async ({ body, req, res }) => {
      res.json(await accounts.login(body, req.ip ?? 'unknown'));
    },
  );
}
