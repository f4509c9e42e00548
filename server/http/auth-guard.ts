// Who is calling an HTTP route. Shared by every route that needs a user (auth, workflows): it reads the
// Bearer token, asks Identity, and turns a refusal into the InvokeAI-compatible 401/403.
import type { FastifyRequest } from 'fastify';
import type { Identity, Principal } from '../auth/principal.js';
import { HttpError } from './errors.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The token from `Authorization: Bearer <token>`; undefined when absent or malformed. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  return BEARER.exec(header)?.[1];
}

const REASONS = {
  missing: 'Authentication required',
  invalid: 'Invalid or expired token',
  expired: 'Invalid or expired token',
  inactive: 'User not found or inactive',
} as const;

/**
 * The caller, or a 401. In single-user mode everyone is the system principal (admin), token or not.
 * A malformed Authorization header counts as an invalid token, not a missing one.
 */
export async function requirePrincipal(identity: Identity, request: FastifyRequest): Promise<Principal> {
  const header = request.headers.authorization;
  const token = bearerToken(request);
  const result = await identity.authenticate(token ?? (header ? 'malformed' : undefined));
  if (result.ok) return result.principal;
  throw new HttpError(401, REASONS[result.reason], { 'WWW-Authenticate': 'Bearer' });
}

/** The caller if an administrator (by the database, not the token), else 401/403. */
export async function requireAdmin(identity: Identity, request: FastifyRequest): Promise<Principal> {
  const principal = await requirePrincipal(identity, request);
  if (!principal.isAdmin) throw new HttpError(403, 'Admin privileges required');
  return principal;
}
