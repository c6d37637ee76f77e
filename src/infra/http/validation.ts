import type { ZodError } from 'zod';

/** Flattens a zod error into SPEC §4's `details.issues`: one `{path, message}` per problem. */
export function zodIssues(error: ZodError, root?: string): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: [root, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}
