import type { Api } from '../../infra/http/api.js';
import { ErrorEnvelope } from '@lineup/client-sdk/contract';
import {
  BalanceResponse,
  ChargeBody,
  HistoryQuery,
  HistoryResponse,
  WithdrawBody,
} from '@lineup/client-sdk/contract';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import {
  IDEMPOTENCY_HEADER,
  idempotentRequest,
  sendStored,
} from '../idempotency/idempotency.http.js';
import type { PointsService } from './points.service.js';

export function pointsRoutes(
  api: Api,
  points: PointsService,
  idempotency: IdempotencyService,
): void {
  api.route(
    {
      method: 'get',
      path: '/users/me/points',
      summary: 'Current point balance',
      tags: ['points'],
      auth: 'user',
      responses: { 200: { description: 'Balance', schema: BalanceResponse } },
    },
    async ({ req, res }) => {
      res.json(await points.balance(req.auth!.userId));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/users/me/points/charge',
      summary: 'Charge points (1,000..1,000,000; balance capped at 10,000,000)',
      tags: ['points'],
      auth: 'user',
      headers: IDEMPOTENCY_HEADER,
      body: ChargeBody,
      responses: {
        200: { description: 'New balance', schema: BalanceResponse },
        409: { description: 'IDEMPOTENCY_KEY_IN_USE', schema: ErrorEnvelope },
        422: {
          description: 'CHARGE_AMOUNT_OUT_OF_RANGE, BALANCE_LIMIT_EXCEEDED, IDEMPOTENCY_KEY_REUSED',
          schema: ErrorEnvelope,
        },
      },
    },
    async ({ body, req, res }) => {
      const userId = req.auth!.userId;
      const stored = await idempotency.run(idempotentRequest(req), 200, (tx) =>
        points.charge(tx, userId, body.amount),
      );
      sendStored(res, stored);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/users/me/points/withdraw',
      summary: 'Withdraw points back to the fan (1,000 up to the balance)',
      tags: ['points'],
      auth: 'user',
      headers: IDEMPOTENCY_HEADER,
      body: WithdrawBody,
      responses: {
        200: { description: 'New balance', schema: BalanceResponse },
        402: {
          description: 'INSUFFICIENT_POINTS (details.amount, details.balance)',
          schema: ErrorEnvelope,
        },
        409: { description: 'IDEMPOTENCY_KEY_IN_USE', schema: ErrorEnvelope },
        422: {
          description:
            'WITHDRAW_AMOUNT_OUT_OF_RANGE (details.min, details.max), IDEMPOTENCY_KEY_REUSED',
          schema: ErrorEnvelope,
        },
      },
    },
    async ({ body, req, res }) => {
      const userId = req.auth!.userId;
      const stored = await idempotency.run(idempotentRequest(req), 200, (tx) =>
        points.withdraw(tx, userId, body.amount),
      );
      sendStored(res, stored);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/users/me/points/history',
      summary: 'Point ledger, newest first, with cursor pagination',
      tags: ['points'],
      auth: 'user',
      query: HistoryQuery,
      responses: { 200: { description: 'One page', schema: HistoryResponse } },
    },
    async ({ query, req, res }) => {
      res.json(await points.history(req.auth!.userId, query.cursor, query.limit));
    },
  );
}
