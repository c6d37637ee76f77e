// `--kebab-case value` options onto a scenario's typed defaults: `--observe-seconds 30` sets
// `observeSeconds: 30`. Unknown options are reported, not ignored.

export function applyOptions<T extends object>(
  defaults: T,
  options: Record<string, string | boolean | undefined>,
  known: Set<string>,
): T {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [raw, value] of Object.entries(options)) {
    if (value === undefined || known.has(raw)) continue;
    const key = raw.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(key in out)) throw new Error(`unknown option --${raw}`);
    const current = out[key];
    if (typeof current === 'number') {
      const n = Number(String(value).replace(/_/g, ''));
      if (!Number.isFinite(n)) throw new Error(`--${raw} needs a number`);
      out[key] = n;
    } else if (typeof current === 'boolean') out[key] = value === true || value === 'true';
    else out[key] = String(value);
  }
  return out as T;
}

export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `--name value` lines for a usage text. */
export function describe(defaults: object): string {
  return Object.entries(defaults)
    .map(([k, v]) => `    --${kebab(k)} <${typeof v}> (default ${String(v)})`)
    .join('\n');
}

/** `--key value`, `--key=value` and bare `--flag` (true), plus positionals. */
export function parseArgv(argv: string[]): {
  options: Record<string, string | boolean>;
  positionals: string[];
} {
  const options: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) options[arg.slice(2, eq)] = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--'))
      options[arg.slice(2)] = argv[++i]!;
    else options[arg.slice(2)] = true;
  }
  return { options, positionals };
}
