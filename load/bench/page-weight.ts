import { Agent, request } from 'node:http';
import { round, type ScenarioResult } from '../lib/report.js';

// What the instances send fans' browsers for the page (issue 19): `loads` first loads (index.html
// and every asset it links, asked for as Chromium asks: Accept-Encoding gzip, deflate, br, zstd),
// spread over the instances, counted in bytes on the wire (status line, headers, body); then what a
// reload of the unchanged page costs, by the same rules a browser follows: an asset cached
// `immutable` with a long max-age is not asked for again, anything else is revalidated.

const BROWSER_HEADERS = {
  'accept-encoding': 'gzip, deflate, br, zstd',
  'accept-language': 'ko-KR,ko;q=0.9,en;q=0.8',
};
/** A year, as long as browsers keep a fresh response: an asset cached this long is not re-asked. */
const LONG_MAX_AGE = 365 * 24 * 3600;

interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Status line, headers and body as sent (chunk framing aside). */
  wireBytes: number;
}

function exchange(agent: Agent, url: string, headers: Record<string, string>): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        let head = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n\r\n`.length;
        for (let i = 0; i < res.rawHeaders.length; i += 2)
          head += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`.length;
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          body,
          wireBytes: head + body.length,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The assets index.html links (`assets/...` in src= and href=). */
function linkedAssets(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => `/${m[1]}`);
}

function cachedForGood(headers: Exchange['headers']): boolean {
  const cc = String(headers['cache-control'] ?? '');
  const maxAge = Number(/max-age=(\d+)/.exec(cc)?.[1] ?? 0);
  return /\bimmutable\b/.test(cc) && maxAge >= LONG_MAX_AGE;
}

interface FirstLoad {
  files: { path: string; exchange: Exchange }[];
  wireBytes: number;
}

async function firstLoad(agent: Agent, base: string): Promise<FirstLoad> {
  const index = await exchange(agent, `${base}/`, BROWSER_HEADERS);
  if (index.status !== 200) throw new Error(`GET / answered ${index.status}`);
  const files = [{ path: '/', exchange: index }];
  for (const path of linkedAssets(index.body.toString()))
    files.push({ path, exchange: await exchange(agent, base + path, BROWSER_HEADERS) });
  const failed = files.find((f) => f.exchange.status !== 200);
  if (failed) throw new Error(`GET ${failed.path} answered ${failed.exchange.status}`);
  return { files, wireBytes: files.reduce((sum, f) => sum + f.exchange.wireBytes, 0) };
}

/** A reload: index.html revalidated with its validators, assets only when not cached for good. */
async function reload(agent: Agent, base: string, first: FirstLoad) {
  let assetRequests = 0;
  let assetBytes = 0;
  let indexBytes = 0;
  for (const { path, exchange: seen } of first.files) {
    if (path !== '/' && cachedForGood(seen.headers)) continue;
    const validators: Record<string, string> = {};
    if (seen.headers.etag) validators['if-none-match'] = String(seen.headers.etag);
    if (seen.headers['last-modified'])
      validators['if-modified-since'] = String(seen.headers['last-modified']);
    const again = await exchange(agent, base + path, { ...BROWSER_HEADERS, ...validators });
    if (path === '/') indexBytes = again.wireBytes;
    else {
      assetRequests++;
      assetBytes += again.wireBytes;
    }
  }
  return { assetRequests, assetBytes, indexBytes };
}

export async function pageWeight(
  urls: string[],
  params: { loads: number; concurrency: number },
): Promise<ScenarioResult> {
  const started = Date.now();
  const agent = new Agent({ keepAlive: true, maxSockets: params.concurrency });
  try {
    const sample = await firstLoad(agent, urls[0]!);
    let next = 0;
    let totalBytes = 0;
    const worker = async () => {
      while (next < params.loads) {
        const i = next++;
        // Not `totalBytes += await ...`: that reads totalBytes before awaiting, losing the other
        // workers' additions meanwhile.
        const { wireBytes } = await firstLoad(agent, urls[i % urls.length]!);
        totalBytes += wireBytes;
      }
    };
    await Promise.all(Array.from({ length: params.concurrency }, worker));
    const again = await reload(agent, urls[0]!, sample);
    const js = sample.files.filter((f) => f.path.endsWith('.js'));
    const jsBody = js.reduce((sum, f) => sum + f.exchange.body.length, 0);
    const gzip = await Promise.all(
      js.map((f) => exchange(agent, urls[0]! + f.path, { 'accept-encoding': 'gzip' })),
    );
    return {
      scenario: 'page-weight',
      startedAt: new Date(started).toISOString(),
      durationSeconds: round((Date.now() - started) / 1000),
      params,
      ops: {},
      figures: {
        javascriptBytes: jsBody,
        javascriptEncoding: js.map((f) => f.exchange.headers['content-encoding'] ?? 'none').join(),
        javascriptGzipBytes: gzip.reduce((sum, r) => sum + r.body.length, 0),
        firstLoadWireBytes: sample.wireBytes,
        loads: params.loads,
        loadsWireBytes: totalBytes,
        reloadAssetRequests: again.assetRequests,
        reloadAssetBytes: again.assetBytes,
        reloadIndexBytes: again.indexBytes,
      },
      tables: {
        'first load, as Chromium asks': {
          header: ['path', 'status', 'encoding', 'body bytes', 'cache-control'],
          rows: sample.files.map(({ path, exchange: e }) => [
            path,
            e.status,
            String(e.headers['content-encoding'] ?? '-'),
            e.body.length,
            String(e.headers['cache-control'] ?? '-'),
          ]),
        },
      },
    };
  } finally {
    agent.destroy();
  }
}
