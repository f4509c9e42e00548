// Request validation with zod: a failure is a 422 whose detail names the failing field (contract §2).
import type { z } from 'zod';
import { HttpError } from './errors.js';

/** Parses `value` or throws 422 `"<field>: <message>"` for the first problem found. */
export function parseOr422<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : what;
  throw new HttpError(422, `${field}: ${issue?.message ?? 'invalid'}`);
}
