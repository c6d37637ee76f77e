import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';

// Lua scripts live one per file, named `camelName-<numKeys>.lua` (the bullmq convention), each
// opening with an Input/Output comment. `-- @include "name"` inlines `includes/name.lua` from the
// same folder, so helpers shared by several scripts are written once. Scripts are registered with
// ioredis' defineCommand, which sends EVALSHA and falls back to EVAL after a SCRIPT FLUSH.

export type RedisClient = Redis | Cluster;
type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

export interface ScriptSource {
  name: string;
  numberOfKeys: number;
  lua: string;
}

const INCLUDE = /^--\s*@include\s+"([\w-]+)"\s*$/gm;

export function readScripts(dir: string): ScriptSource[] {
  const includes = join(dir, 'includes');
  const expand = (lua: string, done: Set<string>): string =>
    lua.replace(INCLUDE, (_line, name: string) => {
      if (done.has(name)) return '';
      done.add(name);
      const path = join(includes, `${name}.lua`);
      if (!existsSync(path)) throw new Error(`Lua include not found: ${path}`);
      return expand(readFileSync(path, 'utf8'), done);
    });
  return readdirSync(dir)
    .filter((file) => file.endsWith('.lua'))
    .map((file) => {
      const match = /^(\w+)-(\d+)\.lua$/.exec(file);
      if (!match) throw new Error(`Lua script ${file} must be named camelName-<numKeys>.lua`);
      return {
        name: match[1]!,
        numberOfKeys: Number(match[2]),
        lua: expand(readFileSync(join(dir, file), 'utf8'), new Set()),
      };
    });
}

/** Registers the scripts of a folder on a client; returns typed callers by script name. */
export function defineScripts<Name extends string>(
  redis: RedisClient,
  dir: string,
): Record<Name, ScriptFn> {
  const callers = {} as Record<Name, ScriptFn>;
  for (const script of readScripts(dir)) {
    redis.defineCommand(script.name, { numberOfKeys: script.numberOfKeys, lua: script.lua });
    const fn = (redis as unknown as Record<string, ScriptFn>)[script.name]!.bind(redis);
    callers[script.name as Name] = fn;
  }
  return callers;
}

/** Scripts shared by several features (lease and lock release). */
export const INFRA_LUA_DIR = new URL('./lua/', import.meta.url).pathname;
