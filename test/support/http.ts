export interface HttpResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
  /** A raw body string (sent as-is with content-type JSON), for malformed-input tests. */
  raw?: string;
}

/** A tiny JSON client for tests: never throws on HTTP errors, returns status + parsed body. */
export function client(baseUrl: string) {
  async function request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    opts: RequestOptions = {},
  ): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let payload: string | undefined;
    if (opts.raw !== undefined) payload = opts.raw;
    else if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(baseUrl + path, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
  return {
    request,
    get: <T = any>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts),
    post: <T = any>(path: string, body?: unknown, opts?: RequestOptions) =>
      request<T>('POST', path, body, opts),
    patch: <T = any>(path: string, body?: unknown, opts?: RequestOptions) =>
      request<T>('PATCH', path, body, opts),
    del: <T = any>(path: string, opts?: RequestOptions) =>
      request<T>('DELETE', path, undefined, opts),
  };
}
export type Client = ReturnType<typeof client>;

let phoneCounter = 0;
/** A phone number unique within this process (tests create many fans). */
export function uniquePhone(): string {
  phoneCounter += 1;
  return `010${String(process.pid % 10_000).padStart(4, '0')}${String(phoneCounter).padStart(4, '0')}`;
}

/** Signs up a fan through the API; returns id and access token. */
export async function signUp(
  api: Client,
  name = 'Fan',
): Promise<{ id: number; token: string; phone: string }> {
  const phone = uniquePhone();
  const res = await api.post('/users', { name, phone, password: 'password123' });
  if (res.status !== 201)
    throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, token: res.body.accessToken, phone };
}
