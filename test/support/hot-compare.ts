import { expect } from 'vitest';
import { request } from 'node:http';
import type { RunningServer } from '../../src/server.js';

// Compares the hot routes before express (src/infra/http/hot-http.ts) with the same instance's
// express app alone: a request goes once to each, and the answers must be the same to the header.

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request (node:http, so nothing is added or normalised on the way). */
export function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = { ...res.headers };
        // Set by node:http itself on both paths, and changing with time.
        delete h.date;
        delete h.connection;
        delete h['keep-alive'];
        resolve({ status: res.statusCode!, headers: h, body: Buffer.concat(chunks).toString() });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `both(...)`: the same request on the hot path and on express; the answers, and which path took the first. */
export function comparer(server: () => RunningServer, expressUrl: () => string) {
  return async function both(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<{ hot: Answer; express: Answer; tookHotPath: boolean }> {
    const before = server().hot.served;
    const hot = await send(server().url, method, path, headers, body);
    const tookHotPath = server().hot.served === before + 1;
    const express = await send(expressUrl(), method, path, headers, body);
    return { hot, express, tookHotPath };
  };
}

/** Headers minus the request id when the server made one (random on each side). */
export function comparable(a: Answer, own = false): Answer {
  const headers = { ...a.headers };
  if (!own) {
    expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    delete headers['x-request-id'];
  }
  return { ...a, headers };
}
