import type { Api } from '../../infra/http/api.js';
import { ConcertList } from '@lineup/client-sdk/contract';
import type { CatalogueService } from './catalogue.service.js';

export function catalogueRoutes(api: Api, catalogue: CatalogueService): void {
  api.route(
    {
      method: 'get',
      path: '/concerts',
      summary: 'Concerts with their upcoming schedules (public)',
      tags: ['catalogue'],
      responses: { 200: { description: 'Concerts', schema: ConcertList } },
    },
    async ({ res }) => {
      res.json(await catalogue.listConcerts());
    },
  );
}
