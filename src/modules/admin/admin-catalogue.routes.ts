import type { Api } from '../../infra/http/api.js';
import {
  ConcertCreated,
  CreateConcertBody,
  CreateScheduleBody,
  CreateVenueBody,
  ScheduleCreated,
  VenueCreated,
} from '@lineup/client-sdk/contract';
import { IdParam } from '@lineup/client-sdk/contract';
import { z } from 'zod';
import type { CatalogueService } from '../catalogue/catalogue.service.js';

const ConcertIdParams = z.strictObject({ id: IdParam });

export function adminCatalogueRoutes(api: Api, catalogue: CatalogueService): void {
  api.route(
    {
      method: 'post',
      path: '/admin/venues',
      summary: 'Create a venue with its graded seats (a seat list or rows)',
      tags: ['admin'],
      auth: 'admin',
      body: CreateVenueBody,
      errors: ['VENUE_NAME_TAKEN'],
      responses: {
        201: { description: 'Created', schema: VenueCreated },
      },
    },
    async ({ body, res }) => {
      res.status(201).json(await catalogue.createVenue(body));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/admin/concerts',
      summary: 'Create a concert',
      tags: ['admin'],
      auth: 'admin',
      body: CreateConcertBody,
      responses: { 201: { description: 'Created', schema: ConcertCreated } },
    },
    async ({ body, res }) => {
      res.status(201).json(await catalogue.createConcert(body));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/admin/concerts/:id/schedules',
      summary: 'Add a schedule (a performance at a venue, with prices per grade)',
      tags: ['admin'],
      auth: 'admin',
      params: ConcertIdParams,
      body: CreateScheduleBody,
      errors: ['CONCERT_NOT_FOUND', 'VENUE_NOT_FOUND'],
      responses: {
        201: { description: 'Created', schema: ScheduleCreated },
      },
    },
    async ({ params, body, res }) => {
      res.status(201).json(await catalogue.createSchedule(params.id, body));
    },
  );
}
