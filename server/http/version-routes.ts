// Flowshelf's version history and trash endpoints (issue 12; docs/CONTRACT.md §2, beside InvokeAI's
// workflow API under the same prefix):
//   GET    /api/v1/workflows/i/{id}/versions?page&per_page    newest first
//   GET    /api/v1/workflows/i/{id}/versions/{version_id}     the item plus its workflow
//   POST   /api/v1/workflows/i/{id}/versions                  a device's Save (201 new, 200 already there)
//   POST   /api/v1/workflows/i/{id}/versions/{version_id}/restore
//   GET    /api/v1/workflows/trash[?user_id=]                 the caller's (admins: anyone's) trash
//   POST   /api/v1/workflows/trash/{id}/restore
//   DELETE /api/v1/workflows/trash/{id}                       purged now (204)
// Visibility follows the workflow's: its owner and administrators (and the single user); a reader of a
// shared workflow sees its versions only when the owner turned share_versions on. Everyone else gets
// 404, never 403: a reader must learn nothing beyond the workflow's existence they already know of.
// Writes (upload, restore, trash) are the owner's and administrators' only.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Identity, Principal } from '../auth/principal.js';
import { LibraryError, type LibraryService } from '../library/library-service.js';
import { VersionError, type Versioning } from '../library/versions.js';
import { isIsoUtc, validateWorkflow } from '../../shared/workflow/index.js';
import type { Viewer } from '../storage/index-store.js';
import { requirePrincipal } from './auth-guard.js';
import { httpError, validationError } from './errors.js';
import { parseOr422 } from './validate.js';

export interface VersionRoutesOptions {
  identity: Identity;
  library: LibraryService;
  versioning: Versioning;
}

const NOT_FOUND = 'Workflow not found';
const VERSION_NOT_FOUND = 'Version not found';

const queryInt = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z
      .number({ error: 'Input should be a valid integer' })
      .int({ error: 'Input should be a valid integer' })
      .min(min, { error: `Input should be greater than or equal to ${min}` })
      .max(max, { error: `Input should be less than or equal to ${max}` }),
  );

const ListQuery = z.object({ page: queryInt(0, 1_000_000).default(0), per_page: queryInt(1, 1000).default(50) });
const IdParams = z.object({ workflow_id: z.string().min(1) });
const VersionParams = z.object({ workflow_id: z.string().min(1), version_id: z.string().min(1).max(100) });
const TrashQuery = z.object({ user_id: z.string().min(1).optional() });
const token = z.string().regex(/^[A-Za-z0-9._:~-]{1,100}$/, { error: 'Input should be 1-100 letters, digits or . _ : ~ -' });
const UploadBody = z.object({
  save_id: token,
  workflow: z.unknown().refine((v) => v !== undefined, 'Field required'),
  device: token,
  label: z.string().max(200, { error: 'String should have at most 200 characters' }),
  saved_at: z.string().refine(isIsoUtc, 'Input should be an ISO-8601 UTC timestamp'),
});

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

function handle(fn: Handler): Handler {
  return async (request, reply) => {
    try {
      return await fn(request, reply);
    } catch (error) {
      if (error instanceof VersionError) throw httpError(error.status, error.detail);
      if (error instanceof LibraryError) throw httpError(error.status, error.detail);
      throw error;
    }
  };
}

export function registerVersionRoutes(app: FastifyInstance, opts: VersionRoutesOptions): void {
  const { identity, library, versioning } = opts;
  const admin = (p: Principal) => p.isAdmin || !identity.multiuser;
  const viewerOf = (p: Principal): Viewer => ({ userId: p.userId, isAdmin: p.isAdmin, multiuser: identity.multiuser });

  /** The owner of the id if the caller may see its versions; 404 otherwise (see header). */
  const readableOwner = async (principal: Principal, workflowId: string): Promise<string> => {
    const ownerId = await versioning.ownerOf(workflowId);
    if (ownerId === null) throw httpError(404, NOT_FOUND);
    if (ownerId === principal.userId || admin(principal)) return ownerId;
    try {
      // A reader: only of a workflow they may read now (shared and published), and only if shared.
      await library.get(viewerOf(principal), workflowId);
    } catch {
      throw httpError(404, NOT_FOUND);
    }
    if (!(await versioning.sharesVersions(ownerId, workflowId))) throw httpError(404, NOT_FOUND);
    return ownerId;
  };

  /** The owner of the id if the caller may change its history (owner, administrators); 404 otherwise. */
  const writableOwner = async (principal: Principal, workflowId: string): Promise<string> => {
    const ownerId = await versioning.ownerOf(workflowId);
    if (ownerId === null || (ownerId !== principal.userId && !admin(principal))) throw httpError(404, NOT_FOUND);
    return ownerId;
  };

  /** The trash entry of the id if the caller may act on it (its owner, administrators); 404 otherwise. */
  const ownTrash = async (principal: Principal, workflowId: string) => {
    const entry = await versioning.trashEntry(workflowId);
    if (entry === null || (entry.owner_id !== principal.userId && !admin(principal))) throw httpError(404, 'Workflow not found in the trash');
    return entry;
  };

  void app.register(
    async (scope) => {
      scope.get('/i/:workflow_id/versions', handle(async (request) => {
        const principal = await requirePrincipal(identity, request);
        const id = parseOr422(IdParams, request.params, 'path').workflow_id;
        const q = parseOr422(ListQuery, request.query, 'query');
        const ownerId = await readableOwner(principal, id);
        return versioning.list(ownerId, id, q.page, q.per_page);
      }));

      scope.get('/i/:workflow_id/versions/:version_id', handle(async (request) => {
        const principal = await requirePrincipal(identity, request);
        const params = parseOr422(VersionParams, request.params, 'path');
        const ownerId = await readableOwner(principal, params.workflow_id);
        return versioning.get(ownerId, params.workflow_id, params.version_id);
      }));

      scope.post('/i/:workflow_id/versions', handle(async (request, reply) => {
        const principal = await requirePrincipal(identity, request);
        const id = parseOr422(IdParams, request.params, 'path').workflow_id;
        const body = parseOr422(UploadBody, request.body);
        const checked = validateWorkflow(body.workflow);
        if (!checked.ok) {
          throw validationError([{ loc: ['body', 'workflow', ...checked.field.split('.').filter((s) => s !== 'workflow')], msg: checked.error, type: 'value_error' }]);
        }
        if (checked.workflow.id !== id) {
          throw httpError(400, `workflow.id (${checked.workflow.id}) does not match the workflow id in the path (${id})`);
        }
        const ownerId = await writableOwner(principal, id);
        const result = await versioning.upload(ownerId, id, principal.userId, { ...body, workflow: checked.workflow });
        return reply.code(result.created ? 201 : 200).send(result.version);
      }));

      scope.post('/i/:workflow_id/versions/:version_id/restore', handle(async (request) => {
        const principal = await requirePrincipal(identity, request);
        const params = parseOr422(VersionParams, request.params, 'path');
        const ownerId = await writableOwner(principal, params.workflow_id);
        try {
          await versioning.restore(ownerId, params.workflow_id, params.version_id, principal.userId);
        } catch (error) {
          if (error instanceof VersionError && error.status === 404) throw httpError(404, error.detail === NOT_FOUND ? NOT_FOUND : VERSION_NOT_FOUND);
          throw error;
        }
        return library.get(viewerOf(principal), params.workflow_id);
      }));

      scope.get('/trash', handle(async (request) => {
        const principal = await requirePrincipal(identity, request);
        const q = parseOr422(TrashQuery, request.query, 'query');
        const userId = q.user_id ?? principal.userId;
        if (userId !== principal.userId && !admin(principal)) throw httpError(403, "Only administrators can list another user's trash");
        const items = await versioning.listTrash(userId);
        return {
          items: items.map((t) => ({
            workflow_id: t.workflow_id,
            name: t.name,
            deleted_at: t.deleted_at,
            deleted_by: t.deleted_by,
            purge_at: t.purge_at,
            versions: t.versions,
          })),
        };
      }));

      scope.post('/trash/:workflow_id/restore', handle(async (request) => {
        const principal = await requirePrincipal(identity, request);
        const id = parseOr422(IdParams, request.params, 'path').workflow_id;
        await ownTrash(principal, id);
        await versioning.restoreFromTrash(id, principal.userId);
        return library.get(viewerOf(principal), id);
      }));

      scope.delete('/trash/:workflow_id', handle(async (request, reply) => {
        const principal = await requirePrincipal(identity, request);
        const id = parseOr422(IdParams, request.params, 'path').workflow_id;
        await ownTrash(principal, id);
        await versioning.purge(id);
        return reply.code(204).send();
      }));
    },
    { prefix: '/api/v1/workflows' },
  );
}
