// The admin API as the console calls it, with the ADMIN_TOKEN. The token is kept in this tab's
// sessionStorage (gone when the tab closes; never in a URL, a cookie or a log) so a reload does
// not ask for it again.
import {
  LineupError,
  type AdminConcertOverview,
  type AdminVenue,
  type CreateVenueBody,
  type QueuePolicy,
  type QueuePolicyPatch,
} from '@lineup/client-sdk';

const STORAGE_KEY = 'lineup.adminToken';

export class AdminApi {
  private token: string | undefined;

  constructor(private readonly baseUrl: string) {
    try {
      this.token = sessionStorage.getItem(STORAGE_KEY) ?? undefined;
    } catch {
      /* storage blocked: sign in again after a reload */
    }
  }

  get signedIn(): boolean {
    return this.token !== undefined;
  }

  /** Checks the token against the API before keeping it (401 UNAUTHENTICATED when wrong). */
  async signIn(token: string): Promise<AdminConcertOverview[]> {
    const concerts = await this.call<AdminConcertOverview[]>('GET', '/admin/concerts', token);
    this.token = token;
    try {
      sessionStorage.setItem(STORAGE_KEY, token);
    } catch {
      /* kept in memory for this page */
    }
    return concerts;
  }

  signOut(): void {
    this.token = undefined;
    try {
      sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      /* nothing kept */
    }
  }

  concerts(): Promise<AdminConcertOverview[]> {
    return this.call('GET', '/admin/concerts');
  }

  venues(): Promise<AdminVenue[]> {
    return this.call('GET', '/admin/venues');
  }

  async setPolicy(concertId: number, patch: QueuePolicyPatch): Promise<QueuePolicy> {
    const res = await this.call<{ policy: QueuePolicy }>(
      'PATCH',
      `/admin/concerts/${concertId}/queue`,
      undefined,
      patch,
    );
    return res.policy;
  }

  closeLine(concertId: number): Promise<{ ended: number }> {
    return this.call('POST', `/admin/concerts/${concertId}/queue/close`);
  }

  createVenue(body: CreateVenueBody): Promise<AdminVenue> {
    return this.call('POST', '/admin/venues', undefined, body);
  }

  createConcert(body: { title: string; artist: string; saleOpensAt: string }) {
    return this.call<{ id: number; title: string }>('POST', '/admin/concerts', undefined, body);
  }

  createSchedule(
    concertId: number,
    body: { venueId: number; startsAt: string; prices: Record<string, number> },
  ) {
    return this.call<{ id: number; totalSeats: number }>(
      'POST',
      `/admin/concerts/${concertId}/schedules`,
      undefined,
      body,
    );
  }

  private async call<T>(
    method: string,
    path: string,
    token = this.token,
    body?: unknown,
  ): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${token ?? ''}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw LineupError.network(err);
    }
    if (!res.ok) throw await LineupError.fromResponse(res);
    return (await res.json()) as T;
  }
}
