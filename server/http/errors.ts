// Every error the HTTP API returns is JSON {"detail": ...} with a fitting status (contract §2): no
// HTML page, no stack trace. Unexpected errors are logged without request headers (they carry tokens).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QuotaExceededError, storageErrorOf } from '../storage/storage-errors.js';

/**
 * One problem with a request, in FastAPI's validation-error shape (InvokeAI's HTTPValidationError):
 * where (`["body", "workflow", "nodes", 3, "id"]`, `["query", "per_page"]`, `["path", "user_id"]`),
 * what (a message fit to show), and pydantic's error type (`missing`, `string_type`, `int_parsing`...).
 */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/**
 * An error meant for the client: its status and detail are sent as they are. As in InvokeAI, a 422's
 * detail is a list of ValidationIssue and every other status's detail is a string.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly detail: string | ValidationIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : detail.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
  }
}

/** A 422 listing what is wrong with the request, FastAPI's way. */
export function validationError(issues: ValidationIssue[]): HttpError {
  return new HttpError(422, issues);
}

export function httpError(status: number, detail: string, headers?: Record<string, string>): HttpError {
  return new HttpError(status, detail, headers);
}

/** The path without its query string: queries may carry a token (ws URLs do) and never reach a log. */
function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HttpError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpError) {
      void reply.code(error.status).headers(error.headers).send({ detail: error.detail });
      return;
    }
    // A write the server could not store (full disk, I/O error) or that is over the user's quota:
    // 507 with the reason, never 200 or 500. One log line, without a stack (the sync server has
    // logged those that failed in a document commit already).
    if (error instanceof QuotaExceededError) {
      void reply.code(507).send({ detail: error.message });
      return;
    }
    const storage = storageErrorOf(error);
    if (storage !== null) {
      if (!storage.logged) console.error(`storage error on ${request.method} ${pathOnly(request.url)}: ${storage.storeMessage}`);
      // A database that cannot be reached is temporary (503, try again); a full or failing store is 507.
      void reply.code(storage.kind === 'unavailable' ? 503 : 507).send({ detail: storage.message });
      return;
    }
    const status = (error as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Fastify's own client errors (malformed JSON 400, body too large 413, bad media type 415): their
      // messages describe the request, not the server, and are safe to return.
      void reply.code(status).send({ detail: clientMessage(error as FastifyError) });
      return;
    }
    console.error(`error ${request.method} ${pathOnly(request.url)}: ${error.stack ?? error.message}`);
    void reply.code(500).send({ detail: 'Internal Server Error' });
  });
}

/**
 * Fastify's router answers some requests before any handler or the error handler runs (a path that is
 * not valid percent-encoded UTF-8, a path parameter over maxParamLength, a content-type it cannot
 * parse the header of); pass this as the `frameworkErrors` option so those answers are JSON
 * {"detail": ...} too.
 */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void reply.code(status).send({ detail: frameworkMessage(error) });
}

function frameworkMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return 'The request path is not valid percent-encoded UTF-8';
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return 'A path parameter is too long';
    default:
      return error.message.split('\n')[0] ?? 'Bad Request';
  }
}

function clientMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'Request body is not valid JSON';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Request body is empty but content-type is application/json';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'Request body is too large';
    default:
      return error.message;
  }
}

/** 404 JSON for unknown API routes (and anything the web app does not serve). */
export function sendNotFound(reply: FastifyReply): void {
  void reply.code(404).send({ detail: 'Not Found' });
}
