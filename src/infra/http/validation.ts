import type { ZodError, ZodType } from 'zod';

/** Flattens a zod error into SPEC §4's `details.issues`: one `{path, message}` per problem. */
export function zodIssues(error: ZodError, root?: string): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: [root, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

export type Issue = { path: string; message: string };

/**
 * Validates one part of a request (`params`, `query` or `body`) against its schema: the parsed
 * value, or its problems pushed onto `problems` (and undefined). The express routes (api.ts) and
 * the hot routes before express (hot-http.ts) both validate through here.
 */
export function validatePart(
  schema: ZodType,
  value: unknown,
  part: 'params' | 'query' | 'body',
  problems: Issue[],
): unknown {
  let result: ReturnType<ZodType['safeParse']>;
  try {
    result = schema.safeParse(value);
  } catch {
    // zod runs length checks even on a value of the wrong type, and they throw on one whose
    // `length` cannot be compared, e.g. {"length": {"toString": 0}}: bad input, not a 500.
    problems.push({ path: part, message: 'Invalid input.' });
    return undefined;
  }
  if (result.success) return result.data;
  problems.push(...zodIssues(result.error, part));
  return undefined;
}
