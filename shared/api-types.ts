// Wire shapes of /api/v1/auth and /api/v1/workflows (InvokeAI's, reference §1-§3), shared by the server that sends them and
// the web app that reads them, so the two cannot drift apart. Types only: no runtime code.
import type { Workflow, WorkflowCategory } from './workflow/schema.js';

/** InvokeAI's UserDTO. */
export interface UserDTO {
  user_id: string;
  email: string;
  display_name: string | null;
  is_admin: boolean;
  is_active: boolean;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

/** GET /auth/status */
export interface SetupStatus {
  setup_required: boolean;
  multiuser_enabled: boolean;
  strict_password_checking: boolean;
  admin_email: string | null;
}

/** POST /auth/setup */
export interface SetupResponse {
  success: boolean;
  user: UserDTO;
}

/** POST /auth/login */
export interface LoginResponse {
  token: string;
  user: UserDTO;
  expires_in: number;
}

/** PATCH /auth/me. null, as absent, leaves a field unchanged (InvokeAI's UserProfileUpdateRequest). */
export interface ProfileUpdate {
  display_name?: string | null;
  current_password?: string | null;
  new_password?: string | null;
}

/** POST /auth/users */
export interface UserCreate {
  email: string;
  password: string;
  display_name?: string;
  is_admin: boolean;
}

/** PATCH /auth/users/{user_id}. null, as absent, leaves a field unchanged (InvokeAI's AdminUserUpdateRequest). */
export interface UserUpdate {
  display_name?: string | null;
  password?: string | null;
  is_admin?: boolean | null;
  is_active?: boolean | null;
}

/** POST /auth/media-cookie */
export interface MediaCookieResponse {
  success: boolean;
}

/** One item of a 422's detail: FastAPI's ValidationError (where, what, pydantic's error type). */
export interface ValidationErrorItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** Every 422: FastAPI's HTTPValidationError. Other error statuses answer {"detail": "<message>"}. */
export interface HTTPValidationError {
  detail: ValidationErrorItem[];
}

/** InvokeAI's WorkflowRecordDTOBase: what every workflow record carries. Timestamps are ISO-8601 UTC. */
export interface WorkflowRecordDTOBase {
  workflow_id: string;
  name: string;
  created_at: string;
  updated_at: string;
  opened_at: string | null;
  user_id: string;
  is_public: boolean;
}

/** GET/POST/PATCH /workflows/i/{id}: the record with its workflow (thumbnail_url on GET). */
export interface WorkflowRecordDTO extends WorkflowRecordDTOBase {
  workflow: Workflow;
  thumbnail_url?: string | null;
}

/** One item of GET /workflows/. */
export interface WorkflowListItemDTO extends WorkflowRecordDTOBase {
  description: string;
  category: WorkflowCategory;
  tags: string;
  thumbnail_url: string | null;
  /** Flowshelf addition: set (only ever seen by the owner) when the stored entry is not a valid workflow. */
  invalid_reason: string | null;
  /**
   * Flowshelf addition: set (seen by the owner and administrators) when a shared workflow is kept out
   * of `public`: too large to publish, or over the owner's publishing budget.
   */
  unpublished_reason?: string | null;
}
