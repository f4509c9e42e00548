// /api/v1/workflows: InvokeAI's workflow API (reference §2, MERGED) with the same paths, parameters and
// wire shapes, plus JSON file import/export (docs/invokeai-compat.md lists every deviation and why).
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Identity } from '../auth/principal.js';
import { ORDER_BY_VALUES, type Viewer } from '../storage/index-store.js';
import { LibraryError, type LibraryService } from '../library/library-service.js';
import { requirePrincipal } from './auth-guard.js';
import { httpError, validationError, type ValidationIssue } from './errors.js';
import { thumbnailWebp } from './thumbnail-image.js';
import { parseOr422 } from './validate.js';

/** InvokeAI's IMAGE_MAX_AGE: thumbnail URLs carry a version, so they can be cached for a year. */
const IMAGE_MAX_AGE = 31536000;
/** Largest accepted upload (thumbnail image or workflow file). */
const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;

export interface WorkflowRoutesOptions {
  identity: Identity;
  library: LibraryService;
}

const category = z.enum(['user', 'default']);

/** A repeated query parameter (`?categories=user&categories=default`) arrives as an array, a single one as a string. */
function repeated<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]), z.array(item).optional());
}

/** A repeated query parameter that must be present. */
function requiredRepeated<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]),
    z.array(item, { error: (issue) => (issue.input === undefined ? 'Field required' : undefined) }),
  );
}

/** FastAPI's bool query parsing: true/false, 1/0, yes/no, on/off, any case. */
const queryBool = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  return v;
}, z.boolean({ error: 'Input should be a valid boolean' }).optional());

/** An integer query parameter; out of range says the range (FastAPI's wording), not "not an integer". */
const queryInt = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z
      .number({ error: 'Input should be a valid integer' })
      .int({ error: 'Input should be a valid integer' })
      .min(min, { error: `Input should be greater than or equal to ${min}` })
      .max(max, { error: `Input should be less than or equal to ${max}` }),
  );

const ListQuery = z.object({
  page: queryInt(0).default(0),
  // No upper bound, as in InvokeAI's schema (only what SQLite's LIMIT and a JS number hold exactly).
  // 0 means "no paging", as InvokeAI's `if per_page:` reads it: everything, in one page.
  per_page: queryInt(0).optional(),
  order_by: z.enum(ORDER_BY_VALUES as [string, ...string[]]).default('name'),
  direction: z.enum(['ASC', 'DESC']).default('ASC'),
  categories: repeated(category),
  tags: repeated(z.string()),
  query: z.string().optional(),
  has_been_opened: queryBool,
  is_public: queryBool,
});

const TagsQuery = z.object({ categories: repeated(category), is_public: queryBool });
const CountsByTagQuery = z.object({
  tags: requiredRepeated(z.string()),
  categories: repeated(category),
  has_been_opened: queryBool,
  is_public: queryBool,
});
const CountsByCategoryQuery = z.object({
  categories: requiredRepeated(category),
  has_been_opened: queryBool,
  is_public: queryBool,
});

const WorkflowBody = z.object({ workflow: z.unknown().refine((v) => v !== undefined, 'Field required') });
const IsPublicBody = z.object({ is_public: z.boolean({ error: 'Input should be a valid boolean' }) });
const IdParams = z.object({ workflow_id: z.string().min(1) });

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** "nodes.3.id" → ["nodes", 3, "id"]: FastAPI's loc has list indexes as numbers. */
function pathSegments(dotted: string): (string | number)[] {
  return dotted.split('.').map((segment) => (/^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment));
}

/**
 * The service's 422 for a workflow as FastAPI's validation error. `bodyField` is where the workflow was
 * in the request (`workflow` in a JSON body, `file` for an upload); a stored entry that is not valid
 * (GET of one's own quarantined workflow) is located at the path's id.
 */
function workflowIssue(error: LibraryError, bodyField: string): ValidationIssue {
  if (error.invalidField === undefined) return { loc: ['path', 'workflow_id'], msg: error.detail, type: 'value_error' };
  const prefix = error.invalidField === 'workflow' ? 'workflow' : `workflow.${error.invalidField}`;
  const message = error.detail.startsWith(`${prefix}: `) ? error.detail.slice(prefix.length + 2) : error.detail;
  const within = error.invalidField === 'workflow' ? [] : pathSegments(error.invalidField);
  if (message === 'Required') return { loc: ['body', bodyField, ...within], msg: 'Field required', type: 'missing' };
  return { loc: ['body', bodyField, ...within], msg: message, type: 'value_error' };
}

/** Maps the service's refusals to HTTP errors ({"detail": ...}). */
function handle(fn: Handler, bodyField = 'workflow'): Handler {
  return async (request, reply) => {
    try {
      return await fn(request, reply);
    } catch (error) {
      if (error instanceof LibraryError) {
        if (error.status === 422) throw validationError([workflowIssue(error, bodyField)]);
        throw httpError(error.status, error.detail);
      }
      throw error;
    }
  };
}

/** A required upload part that is not there. */
function missingPart(field: string, message = 'Field required'): never {
  throw validationError([{ loc: ['body', field], msg: message, type: 'missing' }]);
}

/** InvokeAI returns JSON null from several endpoints. */
function sendNull(reply: FastifyReply): FastifyReply {
  return reply.type('application/json').send('null');
}

/** The first file part named `field` of a multipart request, read into memory; 422 if absent. */
async function uploadedFile(request: FastifyRequest, field: string): Promise<{ data: Buffer; mimetype: string; filename: string }> {
  if (!request.isMultipart()) missingPart(field, 'Field required (send multipart/form-data)');
  for await (const part of request.parts({ limits: { fileSize: MAX_UPLOAD_BYTES, files: 1 } })) {
    if (part.type === 'file' && part.fieldname === field) {
      const data = await part.toBuffer();
      if (part.file.truncated) throw httpError(413, `${field}: larger than ${MAX_UPLOAD_BYTES} bytes`);
      return { data, mimetype: part.mimetype, filename: part.filename };
    }
    if (part.type === 'file') await part.toBuffer();
  }
  missingPart(field);
}

/** Longest file name offered on download, in characters (file systems allow 255 bytes). */
const MAX_FILENAME_CHARS = 100;

/**
 * `attachment; filename="..."; filename*=UTF-8''...` for any workflow name (RFC 6266 / 5987): lone
 * surrogates (valid in a Yjs string, not in UTF-8) become U+FFFD, control characters and path
 * separators become `_`, the name is cut to MAX_FILENAME_CHARS whole characters before `suffix`, and
 * the UTF-8 form percent-encodes everything outside RFC 5987's attr-char (encodeURIComponent alone
 * leaves ' ( ) * as they are).
 */
export function attachment(name: string, suffix: string): string {
  const wellFormed = name.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  const clean = wellFormed.replace(/[\u0000-\u001f\u007f-\u009f/\\]/g, '_');
  const filename = Array.from(clean).slice(0, MAX_FILENAME_CHARS).join('') + suffix;
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const utf8 = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}

export function registerWorkflowRoutes(app: FastifyInstance, opts: WorkflowRoutesOptions): void {
  const { identity, library } = opts;
  const viewerOf = async (request: FastifyRequest): Promise<Viewer> => {
    const p = await requirePrincipal(identity, request);
    return { userId: p.userId, isAdmin: p.isAdmin, multiuser: identity.multiuser };
  };
  const idOf = (request: FastifyRequest) => parseOr422(IdParams, request.params, 'path').workflow_id;

  void app.register(
    async (scope) => {
      await scope.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 10 } });

      scope.get('/', handle(async (request) => {
        const viewer = await viewerOf(request);
        const q = parseOr422(ListQuery, request.query, 'query');
        const perPage = q.per_page === undefined || q.per_page === 0 ? null : q.per_page;
        // InvokeAI's offset is page * per_page, and a page past the end has no items. Past 2^53 the
        // product is no longer an integer SQLite takes as an offset; any such page is far past the
        // end, so it is answered as one (asking for the last representable page, echoing the page asked).
        const pastAnyEnd = perPage !== null && q.page * perPage > Number.MAX_SAFE_INTEGER;
        const result = await library.list(viewer, {
          page: pastAnyEnd ? Math.floor(Number.MAX_SAFE_INTEGER / perPage) : q.page,
          perPage,
          orderBy: q.order_by as (typeof ORDER_BY_VALUES)[number],
          direction: q.direction,
          categories: q.categories,
          tags: q.tags,
          query: q.query,
          hasBeenOpened: q.has_been_opened,
          isPublic: q.is_public,
        });
        return pastAnyEnd ? { ...result, page: q.page } : result;
      }));

      scope.post('/', handle(async (request) => {
        const viewer = await viewerOf(request);
        const body = parseOr422(WorkflowBody, request.body);
        return library.create(viewer, body.workflow);
      }));

      scope.get('/tags', handle(async (request) => {
        const viewer = await viewerOf(request);
        const q = parseOr422(TagsQuery, request.query, 'query');
        return library.tags(viewer, { categories: q.categories, isPublic: q.is_public });
      }));

      scope.get('/counts_by_tag', handle(async (request) => {
        const viewer = await viewerOf(request);
        const q = parseOr422(CountsByTagQuery, request.query, 'query');
        return library.countsByTag(viewer, q.tags, {
          categories: q.categories,
          hasBeenOpened: q.has_been_opened,
          isPublic: q.is_public,
        });
      }));

      scope.get('/counts_by_category', handle(async (request) => {
        const viewer = await viewerOf(request);
        const q = parseOr422(CountsByCategoryQuery, request.query, 'query');
        return library.countsByCategory(viewer, q.categories, { hasBeenOpened: q.has_been_opened, isPublic: q.is_public });
      }));

      scope.get('/i/:workflow_id', handle(async (request) => library.get(await viewerOf(request), idOf(request))));

      scope.patch('/i/:workflow_id', handle(async (request) => {
        const viewer = await viewerOf(request);
        const body = parseOr422(WorkflowBody, request.body);
        return library.update(viewer, idOf(request), body.workflow);
      }));

      scope.delete('/i/:workflow_id', handle(async (request, reply) => {
        await library.delete(await viewerOf(request), idOf(request));
        return sendNull(reply);
      }));

      scope.patch('/i/:workflow_id/is_public', handle(async (request) => {
        const viewer = await viewerOf(request);
        const body = parseOr422(IsPublicBody, request.body);
        return library.setPublic(viewer, idOf(request), body.is_public);
      }));

      scope.put('/i/:workflow_id/opened_at', handle(async (request, reply) => {
        await library.setOpened(await viewerOf(request), idOf(request));
        return sendNull(reply);
      }));

      scope.put('/i/:workflow_id/thumbnail', handle(async (request, reply) => {
        const viewer = await viewerOf(request);
        const id = idOf(request);
        // Rights first (404/403), as InvokeAI, so a refused caller's upload is never decoded.
        await library.assertThumbnailWritable(viewer, id);
        const upload = await uploadedFile(request, 'image');
        if (!upload.mimetype.startsWith('image')) throw httpError(415, 'Not an image');
        const webp = await thumbnailWebp(upload.data);
        await library.setThumbnail(viewer, id, webp);
        return sendNull(reply);
      }));

      scope.delete('/i/:workflow_id/thumbnail', handle(async (request, reply) => {
        await library.deleteThumbnail(await viewerOf(request), idOf(request));
        return sendNull(reply);
      }));

      // No token, as InvokeAI: browsers load it through <img src>; ids are unguessable uuids.
      scope.get('/i/:workflow_id/thumbnail', handle(async (request, reply) => {
        const thumb = await library.thumbnail(idOf(request));
        if (!thumb) throw httpError(404, 'Thumbnail not found');
        return reply
          .type('image/webp')
          .header('cache-control', `max-age=${IMAGE_MAX_AGE}`)
          .header('content-disposition', 'inline')
          .send(thumb.image);
      }));

      // ---- Flowshelf additions: JSON file export/import --------------------------------------------

      scope.get('/i/:workflow_id/download', handle(async (request, reply) => {
        const record = await library.get(await viewerOf(request), idOf(request));
        const name = record.workflow.name.trim() || 'My Workflow';
        return reply
          .type('application/json; charset=utf-8')
          .header('content-disposition', attachment(name, '.json'))
          .send(JSON.stringify(record.workflow, null, 2));
      }));

      scope.post('/import', handle(async (request) => {
        const viewer = await viewerOf(request);
        const upload = await uploadedFile(request, 'file');
        let json: unknown;
        try {
          json = JSON.parse(upload.data.toString('utf8'));
        } catch {
          throw validationError([{ loc: ['body', 'file'], msg: 'not valid JSON', type: 'json_invalid' }]);
        }
        return library.create(viewer, json);
      }, 'file'));
    },
    { prefix: '/api/v1/workflows' },
  );
}
