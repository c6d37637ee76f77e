import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// Child processes of a benchmark run (app instances, baseline servers): started with their own
// log file, stopped with SIGTERM then SIGKILL, and all stopped on any exit path.

export interface Child {
  name: string;
  url: string;
  port: number;
  proc: ChildProcess;
  logPath: string;
}

const children = new Set<Child>();

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `node <args>` with `env`, logging to `logPath`; resolves once GET `readyPath` answers 200. */
export async function startChild(options: {
  name: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  logPath: string;
  readyPath?: string;
  timeoutMs?: number;
}): Promise<Child> {
  const log = createWriteStream(options.logPath, { flags: 'a' });
  const proc = spawn(process.execPath, options.args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.pipe(log);
  proc.stderr!.pipe(log);
  const url = `http://127.0.0.1:${options.port}`;
  const child: Child = {
    name: options.name,
    url,
    port: options.port,
    proc,
    logPath: options.logPath,
  };
  children.add(child);
  proc.once('exit', () => children.delete(child));
  const stopAt = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < stopAt) {
    if (proc.exitCode !== null) break;
    try {
      const res = await fetch(url + (options.readyPath ?? '/readyz'));
      if (res.ok) return child;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  await stopChild(child);
  const tail = readFileSync(options.logPath, 'utf8').slice(-2000);
  throw new Error(
    `${options.name} did not become ready (exit ${proc.exitCode}); log tail:\n${tail}`,
  );
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  const { proc } = child;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c)));
}

/** Last resort on a hard exit: no awaiting, just kill what is still running. */
export function killAllChildrenNow(): void {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
}
