import { z } from 'zod';
import type { Api } from '../../infra/http/api.js';
import { IdParam } from '@lineup/client-sdk/contract';
import {
  AdminQueueStats,
  QueueCloseResponse,
  QueuePolicy,
  QueuePolicyPatch,
} from '@lineup/client-sdk/contract';
import type { QueueService } from '../queue/queue.service.js';

const ConcertIdParams = z.strictObject({ id: IdParam });

export function adminQueueRoutes(api: Api, queue: QueueService): void {
  api.route(
    {
      method: 'get',
      path: '/admin/concerts/:id/queue',
      summary: "A concert's line: counts, admission rate, policy and the leading instance",
      tags: ['admin'],
      auth: 'admin',
      params: ConcertIdParams,
      errors: ['CONCERT_NOT_FOUND'],
      responses: {
        200: { description: 'Stats', schema: AdminQueueStats },
      },
    },
    async ({ params, res }) => {
      res.json(await queue.stats(params.id));
    },
  );

  api.route(
    {
      method: 'patch',
      path: '/admin/concerts/:id/queue',
      summary: 'Change a running line: limits, or pause admissions (applies on the next tick)',
      tags: ['admin'],
      auth: 'admin',
      params: ConcertIdParams,
      body: QueuePolicyPatch,
      errors: ['CONCERT_NOT_FOUND'],
      responses: {
        200: { description: 'The policy now in force', schema: z.object({ policy: QueuePolicy }) },
      },
    },
    async ({ params, body, res }) => {
      res.json({ policy: await queue.updatePolicy(params.id, body) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/admin/concerts/:id/queue/close',
      summary:
        "Close a line: every waiting and pre-queue place ends (queue:ended reason 'closed'), later joins get 409 SALE_ENDED; admitted fans may finish",
      tags: ['admin'],
      auth: 'admin',
      params: ConcertIdParams,
      errors: ['CONCERT_NOT_FOUND'],
      responses: { 200: { description: 'Places ended', schema: QueueCloseResponse } },
    },
    async ({ params, res }) => {
      res.json(await queue.close(params.id));
    },
  );
}
