import { readFileSync } from 'node:fs';

// Where the memory of N sockets goes: two V8 heap snapshots of one instance (before and after the
// sockets opened, each after a full GC; see socket-cost.ts --heap-snapshot), grouped by node type
// and constructor name, the difference in bytes per socket, largest first.
//   node --import tsx load/bench/heap-diff.ts before.heapsnapshot after.heapsnapshot <sockets> [rows]

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function groups(path: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const raw = snap.strings[snap.nodes[i + nameAt]!] ?? '';
    // Strings, code and arrays are grouped by type only; objects by constructor.
    const name = type === 'object' || type === 'closure' ? raw.slice(0, 60) : '';
    const key = `${type}${name ? ` ${name}` : ''}`;
    const g = out.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += snap.nodes[i + sizeAt]!;
    out.set(key, g);
  }
  return out;
}

const [beforePath, afterPath, socketsArg, rowsArg] = process.argv.slice(2);
const sockets = Number(socketsArg);
const before = groups(beforePath!);
const after = groups(afterPath!);
const rows = [...after]
  .map(([key, a]) => {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    return { key, perSocket: (a.count - b.count) / sockets, bytes: (a.bytes - b.bytes) / sockets };
  })
  .sort((x, y) => y.bytes - x.bytes);
const total = rows.reduce((s, r) => s + r.bytes, 0);
console.log(`total ${total.toFixed(0)} bytes per socket (JS heap, self sizes)`);
for (const r of rows.slice(0, Number(rowsArg ?? 40)))
  console.log(
    `${r.bytes.toFixed(0).padStart(7)} B  ${r.perSocket.toFixed(2).padStart(6)} /socket  ${r.key}`,
  );
