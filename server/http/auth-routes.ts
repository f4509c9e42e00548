// /api/v1/auth: InvokeAI's auth API (reference §3), same paths, bodies and response shapes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SYSTEM_USER_ID } from '../../shared/protocol.js';
import { emailProblem } from '../auth/emails.js';
import { LoginThrottle, type Verdict } from '../auth/login-throttle.js';
import { clientAddressKey } from '../client-address.js';
import { decoyHash, generatePassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../auth/passwords.js';
import { UserError, type User } from '../auth/users.js';
import type { Services } from '../services.js';
import { QueueFullError } from './bounded-queue.js';
import { httpError } from './errors.js';
import { bearerToken, requireAdmin, requirePrincipal } from './auth-guard.js';
import { clearMediaCookie, installSessionRefresh, setMediaCookie } from './session-refresh.js';
import { parseOr422 } from './validate.js';
import type { UserDTO } from '../../shared/api-types.js';

export type { UserDTO };

export function userDTO(user: User): UserDTO {
  return {
    user_id: user.userId,
    email: user.email,
    display_name: user.displayName,
    is_admin: user.isAdmin,
    is_active: user.isActive,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
    last_login_at: user.lastLoginAt,
  };
}

const email = z.string().superRefine((value, ctx) => {
  const problem = emailProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const newPassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`);
const displayName = z.string().trim().max(200, 'must be at most 200 characters').nullable().optional();
/**
 * A field of an update: null means "leave unchanged", as in InvokeAI (its request models default every
 * field to None and its service skips None). An empty display name still clears it.
 */
const unchangedIfNull = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => (v === null ? undefined : v));

const SetupRequest = z.object({ email, display_name: displayName, password: newPassword });
const LoginRequest = z.object({
  email: z.string().max(254),
  password: z.string().max(1024),
  remember_me: z.boolean().default(false),
});
const ProfileUpdate = z.object({
  display_name: unchangedIfNull(z.string().trim().max(200, 'must be at most 200 characters')),
  current_password: unchangedIfNull(z.string().max(1024)),
  new_password: unchangedIfNull(newPassword),
});
const AdminCreate = z.object({ email, display_name: displayName, password: newPassword, is_admin: z.boolean().default(false) });
const AdminUpdate = z.object({
  display_name: unchangedIfNull(z.string().trim().max(200, 'must be at most 200 characters')),
  password: unchangedIfNull(newPassword),
  is_admin: unchangedIfNull(z.boolean()),
  is_active: unchangedIfNull(z.boolean()),
});
const UserIdParams = z.object({ user_id: z.string().min(1).max(64) });

/** The throttle's refusal as an HTTP error, with Retry-After. */
function refused(verdict: Extract<Verdict, { ok: false }>): never {
  throw httpError(verdict.status, verdict.detail, { 'Retry-After': String(verdict.retryAfterSeconds) });
}

function asHttpError(err: unknown): unknown {
  if (!(err instanceof UserError)) return err;
  return httpError(err.code === 'not_found' ? 404 : 400, err.message);
}

/** Runs a store call, turning its refusals into 400/404. */
async function store<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asHttpError(err);
  }
}

export function registerAuthRoutes(app: FastifyInstance, services: Services, options: { throttle?: LoginThrottle } = {}): void {
  const { users, tokens, identity } = services;
  installSessionRefresh(app, { identity, tokens });

  /**
   * After a password change of the caller's own account: every token issued before it is refused now,
   * including the one of this request, so the caller gets a fresh one (X-Refreshed-Token and the media
   * cookie), with the lifetime of the session it replaces (InvokeAI's _issue_replacement_token).
   */
  const issueReplacement = async (request: FastifyRequest, reply: FastifyReply, user: User): Promise<void> => {
    const presented = bearerToken(request);
    const checked = presented === undefined ? null : await tokens.check(presented);
    const rememberMe = checked?.ok === true && checked.claims.rememberMe;
    const { token, expiresIn } = await tokens.sign(user, { rememberMe });
    void reply.header('X-Refreshed-Token', token);
    setMediaCookie(request, reply, token, expiresIn);
  };
  const throttle = options.throttle ?? new LoginThrottle();
  // The hash unknown emails are checked against is made once; made now, the first unknown-email login
  // does not cost a second scrypt that would tell it apart from a known one.
  if (identity.multiuser) void decoyHash();
  const multiuserOnly = (what: string) => {
    if (!identity.multiuser) throw httpError(403, `Multiuser mode is disabled. ${what} is not required in single-user mode.`);
  };

  app.get('/api/v1/auth/status', async () => {
    if (!identity.multiuser) {
      return { setup_required: false, multiuser_enabled: false, strict_password_checking: false, admin_email: null };
    }
    const setupRequired = !(await users.hasAdmin());
    return { setup_required: setupRequired, multiuser_enabled: true, strict_password_checking: false, admin_email: null };
  });

  app.post('/api/v1/auth/setup', async (request) => {
    multiuserOnly('Setup');
    const body = parseOr422(SetupRequest, request.body);
    const user = await store(() =>
      users.create({ email: body.email, password: body.password, displayName: body.display_name ?? null }, { firstAdmin: true }),
    );
    return { success: true, user: userDTO(user) };
  });

  app.post('/api/v1/auth/login', async (request, reply) => {
    multiuserOnly('Authentication');
    const body = parseOr422(LoginRequest, request.body);
    const client = clientAddressKey(request.ip);
    const verdict = throttle.check(body.email, client);
    if (!verdict.ok) refused(verdict);
    // Counted as a failure before the (slow, asynchronous) password check and forgiven on success:
    // otherwise a burst of parallel guesses would all pass the check above before any was counted.
    const attempt = throttle.begin(body.email, client);
    let user: User | null;
    try {
      // Known and unknown emails cost one scrypt each (see UserStore.authenticate), in the lane of
      // this client's history, so a spray of strangers never delays an owner who has logged in here.
      user = await verdict.lane.run(() => users.authenticate(body.email, body.password));
    } catch (err) {
      attempt.cancelled();
      if (err instanceof QueueFullError) {
        throw httpError(503, 'Too many login attempts are being checked right now. Try again in a few seconds.', { 'Retry-After': '5' });
      }
      throw err;
    }
    if (!user) throw httpError(401, 'Incorrect email or password', { 'WWW-Authenticate': 'Bearer' });
    attempt.succeeded();
    if (!user.isActive) throw httpError(403, 'User account is disabled');
    const { token, expiresIn } = await tokens.sign(user, { rememberMe: body.remember_me });
    setMediaCookie(request, reply, token, expiresIn);
    return { token, user: userDTO(user), expires_in: expiresIn };
  });

  // Tokens are stateless: logging out is the client forgetting its token. Still authenticated, as in
  // InvokeAI, so a client learns when its token was already dead.
  app.post('/api/v1/auth/logout', async (request, reply) => {
    await requirePrincipal(identity, request);
    clearMediaCookie(request, reply);
    return { success: true };
  });

  // InvokeAI's app calls this on load so that <img>/<video> requests carry the session. Flowshelf
  // serves no media that needs it (workflow thumbnails are public, as in InvokeAI) and never reads the
  // cookie, but sets it exactly as InvokeAI does, so a client written for InvokeAI behaves the same.
  app.post('/api/v1/auth/media-cookie', async (request, reply) => {
    await requirePrincipal(identity, request);
    if (!identity.multiuser) return { success: true };
    const token = bearerToken(request);
    const checked = token === undefined ? null : await tokens.check(token);
    if (token === undefined || !checked?.ok) throw httpError(401, 'Invalid or expired token', { 'WWW-Authenticate': 'Bearer' });
    const remaining = checked.claims.exp - Math.floor(Date.now() / 1000);
    if (remaining <= 0) throw httpError(401, 'Invalid or expired token', { 'WWW-Authenticate': 'Bearer' });
    setMediaCookie(request, reply, token, remaining);
    return { success: true };
  });

  app.get('/api/v1/auth/me', async (request) => {
    const principal = await requirePrincipal(identity, request);
    const user = await users.get(principal.userId);
    if (!user) throw httpError(404, 'User not found');
    return userDTO(user);
  });

  app.patch('/api/v1/auth/me', async (request, reply) => {
    const principal = await requirePrincipal(identity, request);
    const body = parseOr422(ProfileUpdate, request.body);
    if (body.new_password !== undefined) {
      if (!body.current_password) throw httpError(400, 'Current password is required to set a new password');
      // A stolen token must not become a way to guess the password: same limits as logging in.
      const client = clientAddressKey(request.ip);
      const verdict = throttle.check(principal.email, client);
      if (!verdict.ok) refused(verdict);
      const attempt = throttle.begin(principal.email, client);
      if (!(await users.checkPassword(principal.userId, body.current_password))) {
        throw httpError(400, 'Current password is incorrect');
      }
      attempt.succeeded();
    }
    const user = await store(() => users.update(principal.userId, { displayName: body.display_name, password: body.new_password }));
    if (body.new_password !== undefined) await issueReplacement(request, reply, user);
    return userDTO(user);
  });

  app.get('/api/v1/auth/generate-password', async (request) => {
    await requirePrincipal(identity, request);
    return { password: generatePassword() };
  });

  app.get('/api/v1/auth/users', async (request) => {
    await requireAdmin(identity, request);
    return (await users.list()).map(userDTO);
  });

  app.post('/api/v1/auth/users', async (request, reply) => {
    await requireAdmin(identity, request);
    const body = parseOr422(AdminCreate, request.body);
    const user = await store(() =>
      users.create({ email: body.email, password: body.password, displayName: body.display_name ?? null, isAdmin: body.is_admin }),
    );
    return reply.code(201).send(userDTO(user));
  });

  app.get('/api/v1/auth/users/:user_id', async (request) => {
    await requireAdmin(identity, request);
    const { user_id } = parseOr422(UserIdParams, request.params, 'path');
    const user = await users.get(user_id);
    if (!user || user.userId === SYSTEM_USER_ID) throw httpError(404, 'User not found');
    return userDTO(user);
  });

  app.patch('/api/v1/auth/users/:user_id', async (request, reply) => {
    const admin = await requireAdmin(identity, request);
    const { user_id } = parseOr422(UserIdParams, request.params, 'path');
    const body = parseOr422(AdminUpdate, request.body);
    const user = await store(() =>
      users.update(user_id, {
        displayName: body.display_name,
        password: body.password,
        isAdmin: body.is_admin,
        isActive: body.is_active,
      }),
    );
    // An administrator resetting their own password is not signed out by it (InvokeAI does the same).
    if (body.password !== undefined && user.userId === admin.userId && user.isActive) await issueReplacement(request, reply, user);
    return userDTO(user);
  });

  app.delete('/api/v1/auth/users/:user_id', async (request, reply) => {
    await requireAdmin(identity, request);
    const { user_id } = parseOr422(UserIdParams, request.params, 'path');
    // Their library, opens, thumbnails and `public` entries go with them before the 204 (UserStore.remove).
    await store(() => users.remove(user_id));
    return reply.code(204).send();
  });
}
