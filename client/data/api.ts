// REST client for /api/v1 (auth per reference §3, thumbnails per §2). Workflow data itself never goes
// through here: the library is read from and written to Y.Docs (see sync.ts); only what has no place
// in a document (accounts, thumbnail images) uses REST.

import type {
  LoginResponse,
  ProfileUpdate,
  SetupResponse,
  SetupStatus,
  UserCreate,
  UserDTO,
  UserUpdate,
  WorkflowListItemDTO,
} from '../../shared/api-types.js';

export type { LoginResponse, SetupStatus, UserDTO };

/** One version of a workflow (GET …/versions), newest first; summary relative to the version before. */
export interface VersionItem {
  version_id: string;
  workflow_id: string;
  created_at: string;
  kind: 'save' | 'auto' | 'restore' | 'delete';
  user_id: string;
  user_name: string;
  device: string;
  device_label: string;
  summary: { nodes_added: number; nodes_removed: number; edges_added: number; edges_removed: number; fields_changed: number; text: string };
}
export interface VersionPage {
  page: number;
  pages: number;
  per_page: number;
  total: number;
  items: VersionItem[];
}
export type VersionDetail = VersionItem & { workflow: Record<string, unknown> };
/** A deleted workflow waiting in the trash (GET /workflows/trash). */
export interface TrashItem {
  workflow_id: string;
  name: string;
  deleted_at: string;
  deleted_by: string;
  purge_at: string;
  versions: number;
}

/** An answer of the server that is not 2xx; `detail` is the server's own message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

/** The server could not be reached at all (offline, server down). */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super('The server cannot be reached.', { cause });
    this.name = 'NetworkError';
  }
}

function detailText(body: unknown, status: number): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === 'string') return detail;
  // A 422 is FastAPI's validation list, [{loc: ["body", "workflow", "nodes", 3, "id"], msg, type}, ...]:
  // each problem as "workflow.nodes.3.id: msg" (where in the request it was, body/query/path, is left
  // out: the user never sees the request), all of them on one line.
  if (Array.isArray(detail) && detail.length > 0) {
    return detail
      .map((item) => {
        const { loc, msg } = (item ?? {}) as { loc?: unknown[]; msg?: unknown };
        const text = typeof msg === 'string' && msg !== '' ? msg : 'invalid';
        const field = Array.isArray(loc) ? loc.filter((p, i) => !(i === 0 && (p === 'body' || p === 'query' || p === 'path'))).join('.') : '';
        return field ? `${field}: ${text}` : text;
      })
      .join('; ');
  }
  if (detail && typeof detail === 'object') return JSON.stringify(detail);
  return `Request failed (${status})`;
}

export class Api {
  /**
   * @param base origin + '/api/v1' (no trailing slash)
   * @param getToken the current bearer token, or null
   * @param onUnauthorized called when an authenticated call answers 401 (token expired or revoked)
   * @param onRefreshedToken called with the fresh token a successful call answered with in
   *   `X-Refreshed-Token` (the server's sliding session, or the caller's new session after a password
   *   change): the caller keeps it and uses it from then on
   */
  constructor(
    private readonly base: string,
    private readonly getToken: () => string | null,
    private readonly onUnauthorized: () => void = () => {},
    private readonly onRefreshedToken: (token: string) => void = () => {},
  ) {}

  private async request<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = {};
    const token = auth ? this.getToken() : null;
    if (token) headers.Authorization = `Bearer ${token}`;
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers, body: payload, cache: 'no-store' });
    } catch (err) {
      throw new NetworkError(err);
    }
    const refreshed = res.ok ? res.headers.get('X-Refreshed-Token') : null;
    if (refreshed) this.onRefreshedToken(refreshed);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // A proxy's HTML error page or similar: keep json null and report the status.
    }
    if (!res.ok) {
      if (res.status === 401 && token) this.onUnauthorized();
      throw new ApiError(res.status, detailText(json, res.status));
    }
    return json as T;
  }

  status(): Promise<SetupStatus> {
    return this.request('GET', '/auth/status', undefined, false);
  }
  setup(email: string, password: string, displayName?: string): Promise<SetupResponse> {
    return this.request('POST', '/auth/setup', { email, password, display_name: displayName || undefined }, false);
  }
  login(email: string, password: string, rememberMe: boolean): Promise<LoginResponse> {
    return this.request('POST', '/auth/login', { email, password, remember_me: rememberMe }, false);
  }
  logout(): Promise<{ success: boolean }> {
    return this.request('POST', '/auth/logout');
  }
  me(): Promise<UserDTO> {
    return this.request('GET', '/auth/me');
  }
  updateMe(change: ProfileUpdate): Promise<UserDTO> {
    return this.request('PATCH', '/auth/me', change);
  }
  listUsers(): Promise<UserDTO[]> {
    return this.request('GET', '/auth/users');
  }
  createUser(user: UserCreate): Promise<UserDTO> {
    return this.request('POST', '/auth/users', user);
  }
  updateUser(userId: string, change: UserUpdate): Promise<UserDTO> {
    return this.request('PATCH', `/auth/users/${encodeURIComponent(userId)}`, change);
  }
  deleteUser(userId: string): Promise<void> {
    return this.request('DELETE', `/auth/users/${encodeURIComponent(userId)}`);
  }

  /**
   * The user-category workflows the caller may list (GET /workflows/?categories=user, one page): for
   * a regular user their own, for an administrator everyone's. Only the server knows which of one's
   * own are quarantined or kept out of `public` (server-verdicts.ts).
   */
  async listUserWorkflows(): Promise<WorkflowListItemDTO[]> {
    const page = await this.request<{ items: WorkflowListItemDTO[] }>('GET', '/workflows/?categories=user');
    return page.items;
  }

  // ---- Version history and trash (Flowshelf's extensions, HISTORY design) ----

  listVersions(workflowId: string, page = 0, perPage = 50): Promise<VersionPage> {
    return this.request('GET', `/workflows/i/${encodeURIComponent(workflowId)}/versions?page=${page}&per_page=${perPage}`);
  }
  getVersion(workflowId: string, versionId: string): Promise<VersionDetail> {
    return this.request('GET', `/workflows/i/${encodeURIComponent(workflowId)}/versions/${encodeURIComponent(versionId)}`);
  }
  /** A device's Save (saves.ts); idempotent on save_id. */
  uploadSave(workflowId: string, save: { save_id: string; workflow: unknown; device: string; label: string; saved_at: string }): Promise<unknown> {
    return this.request('POST', `/workflows/i/${encodeURIComponent(workflowId)}/versions`, save);
  }
  listTrash(): Promise<{ items: TrashItem[] }> {
    return this.request('GET', '/workflows/trash');
  }
  restoreFromTrash(workflowId: string): Promise<unknown> {
    return this.request('POST', `/workflows/trash/${encodeURIComponent(workflowId)}/restore`);
  }
  purgeFromTrash(workflowId: string): Promise<void> {
    return this.request('DELETE', `/workflows/trash/${encodeURIComponent(workflowId)}`);
  }

  /** Public URL (no auth: browsers load it through <img src>). */
  thumbnailUrl(workflowId: string, cacheBuster?: string): string {
    const url = `${this.base}/workflows/i/${encodeURIComponent(workflowId)}/thumbnail`;
    return cacheBuster ? `${url}?v=${encodeURIComponent(cacheBuster)}` : url;
  }
  setThumbnail(workflowId: string, image: Blob): Promise<void> {
    const form = new FormData();
    form.append('image', image, 'thumbnail.png');
    return this.request('PUT', `/workflows/i/${encodeURIComponent(workflowId)}/thumbnail`, form);
  }
  deleteThumbnail(workflowId: string): Promise<void> {
    return this.request('DELETE', `/workflows/i/${encodeURIComponent(workflowId)}/thumbnail`);
  }
}
