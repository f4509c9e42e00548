// Request validation with zod. A failure is a 422 in FastAPI's shape, as InvokeAI answers it:
// {"detail": [{"loc": ["body", "workflow", "nodes", 3, "id"], "msg": "...", "type": "..."}]}, one item
// per problem, each naming where it is (body, query or path, then the field), what is wrong in words
// fit to show, and pydantic's error type, so that clients written for InvokeAI read it unchanged.
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { validationError, type ValidationIssue } from './errors.js';

/** Where a value was read from: FastAPI's first `loc` element. */
export type RequestPart = 'body' | 'query' | 'path';

/** pydantic's type for a wrong JSON type, by what zod expected. */
const TYPE_ERRORS: Record<string, string> = {
  string: 'string_type',
  number: 'float_type',
  int: 'int_type',
  boolean: 'bool_type',
  object: 'dict_type',
  array: 'list_type',
  null: 'none_required',
};

/** Wrong type where the value came from a URL: pydantic's parsing error names what it could not parse. */
const PARSING_ERRORS: Record<string, string> = {
  number: 'int_parsing',
  int: 'int_parsing',
  boolean: 'bool_parsing',
};

/** pydantic's error type for one zod issue (zod 4 issue codes). */
function typeOf(issue: z.core.$ZodIssue, part: RequestPart): string {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'missing';
      if (part !== 'body' && typeof issue.input === 'string') return PARSING_ERRORS[issue.expected] ?? TYPE_ERRORS[issue.expected] ?? 'value_error';
      if (issue.expected === 'int' && typeof issue.input === 'number') return 'int_from_float';
      return TYPE_ERRORS[issue.expected] ?? 'value_error';
    }
    case 'too_small':
      if (issue.origin === 'string') return 'string_too_short';
      if (issue.origin === 'array' || issue.origin === 'set') return 'too_short';
      return issue.inclusive ? 'greater_than_equal' : 'greater_than';
    case 'too_big':
      if (issue.origin === 'string') return 'string_too_long';
      if (issue.origin === 'array' || issue.origin === 'set') return 'too_long';
      return issue.inclusive ? 'less_than_equal' : 'less_than';
    case 'invalid_value':
      return issue.values.length === 1 ? 'literal_error' : 'enum';
    case 'not_multiple_of':
      return 'multiple_of';
    case 'invalid_format':
      return 'string_pattern_mismatch';
    case 'unrecognized_keys':
      return 'extra_forbidden';
    // A refinement that reports an absent value (a field zod has to accept as unknown to check it).
    case 'custom':
      return issue.message === 'Field required' ? 'missing' : 'value_error';
    default:
      return 'value_error';
  }
}

/** A missing field says so in pydantic's words; zod's "expected string, received undefined" does not. */
function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'Field required';
  return issue.message.replace(/\s+/g, ' ').trim();
}

/** The FastAPI issues for a zod error, every one of them (FastAPI reports them all too). */
export function issuesOf(error: z.ZodError, part: RequestPart, prefix: (string | number)[] = []): ValidationIssue[] {
  return error.issues.map((issue) => ({
    loc: [part, ...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    msg: messageOf(issue),
    type: typeOf(issue, part),
  }));
}

/** Parses `value` (read from `part` of the request) or throws a 422 listing every problem. */
export function parseOr422<S extends z.ZodType>(schema: S, value: unknown, part: RequestPart = 'body'): z.output<S> {
  // reportInput: the issue keeps the value it is about, which tells a missing field (undefined) from a wrong one.
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw validationError(issuesOf(result.error, part));
}

/**
 * JSON bodies as FastAPI reads them: an empty body sent with `Content-Type: application/json` is no
 * body (InvokeAI answers logout and opened_at with 200; a route that needs a body answers 422
 * `["body"]: Field required`), where Fastify's own parser answers 400. Anything else goes to Fastify's
 * parser, which keeps its protection against `__proto__` and `constructor` keys.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
