import type { Api } from '../../infra/http/api.js';
import { AdminConcertOverviewList, AdminVenueList } from '@lineup/client-sdk/contract';
import type { CatalogueService } from '../catalogue/catalogue.service.js';
import type { QueueService } from '../queue/queue.service.js';

// What the operators' console (/admin) reads besides the per-concert routes: every concert with
// its seats and its line in one answer (the console polls it), and the venues to schedule at.

export function adminConsoleRoutes(
  api: Api,
  catalogue: CatalogueService,
  queue: QueueService,
): void {
  api.route(
    {
      method: 'get',
      path: '/admin/concerts',
      summary:
        "Every concert: upcoming schedules' seats (available, held, sold), sold-out state and its line",
      tags: ['admin'],
      auth: 'admin',
      responses: {
        200: { description: 'Concerts, oldest sale first', schema: AdminConcertOverviewList },
      },
    },
    async ({ res }) => {
      const concerts = await catalogue.concertsWithSeats();
      const lines = await Promise.all(concerts.map((c) => queue.stats(c.id)));
      res.json(concerts.map((c, i) => ({ ...c, queue: lines[i]! })));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/admin/venues',
      summary: 'Every venue with its number of seats',
      tags: ['admin'],
      auth: 'admin',
      responses: { 200: { description: 'Venues, newest first', schema: AdminVenueList } },
    },
    async ({ res }) => {
      res.json(await catalogue.listVenues());
    },
  );
}
