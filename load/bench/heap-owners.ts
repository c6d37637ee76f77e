import { readFileSync } from 'node:fs';

// Where the memory of N sockets goes, by owner: two V8 heap snapshots of one instance (before and
// after the sockets opened, each after a full GC; socket-cost.ts --heap-snapshot). Objects new in
// the second (ids absent from the first) are charged to the first per-socket library object
// above them on their retainer path (net.Socket, ws WebSocket/Receiver/Sender, engine.io Socket
// and transport, socket.io Client/Socket, engine.io's ping Timeout, our socket.data), self sizes.
//   node --import tsx load/bench/heap-owners.ts before.heapsnapshot after.heapsnapshot <sockets>

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const load = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Snapshot;

function owners(beforePath: string, afterPath: string): Map<string, number> {
  const b = load(beforePath);
  const bWidth = b.snapshot.meta.node_fields.length;
  const bId = b.snapshot.meta.node_fields.indexOf('id');
  const before = new Set<number>();
  for (let i = 0; i < b.nodes.length; i += bWidth) before.add(b.nodes[i + bId]!);

  const s = load(afterPath);
  const { meta } = s.snapshot;
  const NW = meta.node_fields.length;
  const EW = meta.edge_fields.length;
  const at = (f: string) => meta.node_fields.indexOf(f);
  const [typeAt, nameAt, idAt, sizeAt, edgesAt] = [
    at('type'),
    at('name'),
    at('id'),
    at('self_size'),
    at('edge_count'),
  ];
  const count = s.nodes.length / NW;
  const firstEdge = new Uint32Array(count + 1);
  for (let i = 0, e = 0; i < count; i++) {
    firstEdge[i] = e;
    e += s.nodes[i * NW + edgesAt]! * EW;
  }
  firstEdge[count] = s.edges.length;
  const isNew = (i: number) => !before.has(s.nodes[i * NW + idAt]!);
  const type = (i: number) => meta.node_types[0][s.nodes[i * NW + typeAt]!]!;
  const name = (i: number) => s.strings[s.nodes[i * NW + nameAt]!]!;
  // One retainer per node, preferring a new one (the per-socket object rather than a shared one).
  const retainer = new Int32Array(count).fill(-1);
  for (let i = 0; i < count; i++)
    for (let e = firstEdge[i]!; e < firstEdge[i + 1]!; e += EW) {
      const edgeType = meta.edge_types[0][s.edges[e]!];
      if (edgeType === 'weak' || edgeType === 'shortcut') continue;
      const to = s.edges[e + 2]! / NW;
      if (retainer[to] === -1 || (!isNew(retainer[to]!) && isNew(i))) retainer[to] = i;
    }
  const props = (i: number) => {
    const out = new Set<string>();
    for (let e = firstEdge[i]!; e < firstEdge[i + 1]!; e += EW)
      if (meta.edge_types[0][s.edges[e]!] === 'property') out.add(s.strings[s.edges[e + 1]!]!);
    return out;
  };
  const classify = (i: number): string | null => {
    if (type(i) !== 'object') return null;
    switch (name(i)) {
      case 'Socket': {
        const p = props(i);
        if (p.has('nsp')) return 'socket.io Socket';
        if (p.has('writeBuffer')) return 'engine.io Socket';
        return p.has('_readableState') ? 'net.Socket (+ TCP handle)' : null;
      }
      case 'TCP':
        return 'net.Socket (+ TCP handle)';
      case 'WebSocket':
        return props(i).has('_receiver') ? 'ws WebSocket' : 'engine.io transport';
      case 'Receiver':
        return 'ws Receiver';
      case 'Sender':
        return 'ws Sender';
      case 'Client':
      case 'Decoder':
        return 'socket.io Client (+ decoder)';
      case 'Timeout':
        return 'engine.io ping timer';
      case 'Object':
        return props(i).has('claims') ? 'our socket.data' : null;
      default:
        return null;
    }
  };
  const out = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    if (!isNew(i)) continue;
    let owner: string | null = null;
    for (let x = i, depth = 0; owner === null && x >= 0 && depth < 8; depth++) {
      owner = classify(x);
      x = retainer[x]!;
    }
    owner ??= `other (${type(i)})`;
    out.set(owner, (out.get(owner) ?? 0) + s.nodes[i * NW + sizeAt]!);
  }
  return out;
}

const [beforePath, afterPath, socketsArg] = process.argv.slice(2);
const sockets = Number(socketsArg);
const rows = [...owners(beforePath!, afterPath!)].sort((x, y) => y[1] - x[1]);
const total = rows.reduce((sum, [, bytes]) => sum + bytes, 0);
console.log(`total ${(total / sockets).toFixed(0)} bytes per socket (new objects, self sizes)`);
for (const [owner, bytes] of rows)
  console.log(`${(bytes / sockets).toFixed(0).padStart(7)} B  ${owner}`);
