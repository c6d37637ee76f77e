import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's headers everywhere; the Swagger UI at /docs needs inline scripts and styles, so only
 * there the Content-Security-Policy is relaxed.
 */
export function securityHeaders(): RequestHandler {
  const headers = securityHeaderList();
  const docs = helmet({
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'", "'unsafe-inline'"],
        'style-src': ["'self'", "'unsafe-inline'", 'https:'],
      },
    },
  });
  return (req, res, next) => {
    if (req.path.startsWith('/docs')) return docs(req, res, next);
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/** The headers every answer but /docs carries: helmet's defaults, in the order helmet sets them. */
export function securityHeaderList(): [string, string][] {
  return staticHeaders(helmet());
}

/**
 * The headers a helmet middleware sets, read once: with its default options they do not depend on
 * the request, and replaying them costs one setHeader each instead of helmet's chain of eleven
 * middleware per request. (It also removes X-Powered-By, which the app never sets.)
 */
export function staticHeaders(middleware: RequestHandler): [string, string][] {
  const set: [string, string][] = [];
  const res = {
    setHeader: (name: string, value: unknown) => void set.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  let called = false;
  middleware({ headers: {}, method: 'GET', url: '/' } as never, res as never, () => {
    called = true;
  });
  if (!called) throw new Error('helmet did not finish synchronously');
  return set;
}

/** TRUST_PROXY as express understands it: a hop count, true/false, or names/addresses/CIDRs. */
export function trustProxySetting(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/**
 * The client's address as express computes req.ip (proxy-addr semantics): walk from the socket
 * address back through X-Forwarded-For while the hop is trusted. For WebSocket upgrades, which
 * never pass through express.
 */
export function clientAddress(
  req: {
    socket: { remoteAddress?: string };
    headers: Record<string, string | string[] | undefined>;
  },
  trust: (addr: string, hop: number) => boolean,
): string {
  const forwarded = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean)
    .reverse();
  const hops = [req.socket.remoteAddress ?? 'unknown', ...forwarded];
  for (let i = 0; i < hops.length - 1; i++) if (!trust(hops[i]!, i)) return hops[i]!;
  return hops[hops.length - 1]!;
}

/** Browser origins allowed to open sockets: same host, or one of the configured origins. */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: string[],
): boolean {
  if (!origin) return true; // not a browser
  try {
    if (new URL(origin).host === host) return true;
  } catch {
    return false;
  }
  return allowed.includes(origin);
}
