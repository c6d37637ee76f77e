// The signed-in fan: the SDK client with their access token, kept in localStorage so a reload
// keeps them signed in, and their points balance.
import { LineupClient } from '@lineup/client-sdk';

const STORAGE_KEY = 'lineup.session';

interface Stored {
  accessToken: string;
  /** Shown in the header: the name when we know it (sign-up), else the phone number. */
  display: string;
}

export class Session {
  readonly sdk: LineupClient;
  private stored: Stored | undefined;
  balance: number | undefined;

  constructor(baseUrl: string) {
    this.sdk = new LineupClient({ baseUrl });
    try {
      const raw = localStorage.getItem(STORAGE_KEY);
      const parsed = raw ? (JSON.parse(raw) as Partial<Stored>) : undefined;
      if (parsed?.accessToken && parsed.display) {
        this.stored = { accessToken: parsed.accessToken, display: parsed.display };
        this.sdk.setAccessToken(parsed.accessToken);
      }
    } catch {
      /* no storage or a damaged entry: signed out */
    }
  }

  get signedIn(): boolean {
    return this.stored !== undefined;
  }

  get display(): string {
    return this.stored?.display ?? '';
  }

  async signUp(name: string, phone: string, password: string): Promise<void> {
    const res = await this.sdk.signUp({ name, phone, password });
    this.keep({ accessToken: res.accessToken, display: res.user.name });
    this.balance = 0;
  }

  async login(phone: string, password: string): Promise<void> {
    const res = await this.sdk.login({ phone, password });
    this.keep({ accessToken: res.accessToken, display: phone });
    await this.refreshBalance();
  }

  logout(): void {
    this.stored = undefined;
    this.balance = undefined;
    this.sdk.setAccessToken(undefined);
    try {
      localStorage.removeItem(STORAGE_KEY);
    } catch {
      /* nothing kept */
    }
  }

  async refreshBalance(): Promise<number> {
    const { balance } = await this.sdk.balance();
    this.balance = balance;
    return balance;
  }

  private keep(stored: Stored): void {
    this.stored = stored;
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(stored));
    } catch {
      /* signed in for this page only */
    }
  }
}
