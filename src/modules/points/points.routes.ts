import type { Api } from '../../infra/http/api.js';
import {
  BalanceResponse,
  ChargeBody,
  HistoryQuery,
  HistoryResponse,
  WithdrawBody,
} from '@lineup/client-sdk/contract';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import {
  IDEMPOTENCY_ERRORS,
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
      errors: ['CHARGE_AMOUNT_OUT_OF_RANGE', 'BALANCE_LIMIT_EXCEEDED', ...IDEMPOTENCY_ERRORS],
      responses: {
        200: { description: 'New balance', schema: BalanceResponse },
      },
    },
    async ({ body, req, res }) => {
      const userId = req.auth!.userId;
      const stored = await idempotency.run(idempotentRequest(req), (tx) =>
        points.charge(tx, userId, body.amount),
      );
      sendStored(res, 200, stored);
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
      errors: ['INSUFFICIENT_POINTS', 'WITHDRAW_AMOUNT_OUT_OF_RANGE', ...IDEMPOTENCY_ERRORS],
      responses: {
        200: { description: 'New balance', schema: BalanceResponse },
      },
    },
    async ({ body, req, res }) => {
      const userId = req.auth!.userId;
      const stored = await idempotency.run(idempotentRequest(req), (tx) =>
        points.withdraw(tx, userId, body.amount),
      );
      sendStored(res, 200, stored);
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
