import { readFileSync } from 'node:fs';

// Reads a V8 .cpuprofile (node --cpu-prof) and says where the CPU went: every sample is charged
// to the innermost frame that belongs to a package (node_modules/<pkg>) or to the app (dist/),
// so Node internals count for whoever called them (WebCrypto under jose, sockets under express).

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

export interface ProfileShare {
  name: string;
  percent: number;
}

function owner(url: string): string | null {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) {
    const rest = url.slice(dist + '/dist/'.length);
    if (url.includes('client-sdk')) return '@lineup/client-sdk';
    return `app:${rest.replace(/\.js$/, '')}`;
  }
  return null;
}

/** Shares of CPU (idle excluded) by package or app module, largest first. */
export function profileShares(path: string, top = 20): { busyMs: number; shares: ProfileShare[] } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cache = new Map<number, string>();
  const attribute = (id: number): string => {
    const hit = cache.get(id);
    if (hit) return hit;
    const fn = nodes.get(id)!.callFrame.functionName;
    let name: string | null = null;
    if (fn === '(garbage collector)' || fn === '(idle)' || fn === '(program)') name = fn;
    for (let x: number | undefined = id; name === null && x !== undefined; x = parent.get(x))
      name = owner(nodes.get(x)!.callFrame.url);
    name ??= 'node internals';
    cache.set(id, name);
    return name;
  };
  const time = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const name = attribute(id);
    time.set(name, (time.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  time.delete('(idle)');
  const busy = [...time.values()].reduce((a, b) => a + b, 0);
  const shares = [...time.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, percent: Math.round((us / busy) * 1000) / 10 }));
  return { busyMs: Math.round(busy / 1000), shares };
}
