// Sessions as current InvokeAI keeps them (its SlidingWindowTokenMiddleware and media cookie):
// - every successful POST/PUT/PATCH/DELETE made with a token that is still honoured answers with a
//   fresh token in `X-Refreshed-Token`, so a session ends after a period of inactivity, not at a fixed
//   time after login. GETs do not count: apps poll and refetch in the background without the user.
//   The fresh token is minted from the user's record as it is now (admin flag, revocation epoch) with
//   the lifetime the session had (remember me or not). Never for login, logout and media-cookie, and
//   never for a token that no longer authenticates (expired, revoked by a password change, user
//   deactivated): refreshing those would launder a dead token into a live one.
// - the `invokeai_media_token` cookie (HttpOnly, SameSite=Lax, path /api/v1, Secure over https).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '../auth/principal.js';
import type { TokenService } from '../auth/tokens.js';
import { bearerToken } from './auth-guard.js';

export const REFRESHED_TOKEN_HEADER = 'X-Refreshed-Token';
export const MEDIA_TOKEN_COOKIE = 'invokeai_media_token';
const MEDIA_COOKIE_PATH = '/api/v1';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const NOT_REFRESHED = new Set(['/api/v1/auth/login', '/api/v1/auth/logout', '/api/v1/auth/media-cookie']);

function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Sets the media cookie to `token` for `maxAgeSeconds`, with InvokeAI's attributes. */
export function setMediaCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  void reply.header(
    'Set-Cookie',
    `${MEDIA_TOKEN_COOKIE}=${token}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; Path=${MEDIA_COOKIE_PATH}; HttpOnly; SameSite=Lax${secure}`,
  );
}

/** Deletes the media cookie (logout). */
export function clearMediaCookie(request: FastifyRequest, reply: FastifyReply): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  void reply.header(
    'Set-Cookie',
    `${MEDIA_TOKEN_COOKIE}=""; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=${MEDIA_COOKIE_PATH}; HttpOnly; SameSite=Lax${secure}`,
  );
}

/** Installs the sliding refresh on every route registered on `app` (call before the routes). */
export function installSessionRefresh(app: FastifyInstance, deps: { identity: Identity; tokens: TokenService }): void {
  const { identity, tokens } = deps;
  if (!identity.multiuser) return;
  app.addHook('onSend', async (request, reply, payload) => {
    if (!MUTATING.has(request.method) || reply.statusCode >= 400) return payload;
    if (NOT_REFRESHED.has(pathOnly(request.url))) return payload;
    // A route that already issued one (a password change) knows better.
    if (reply.hasHeader(REFRESHED_TOKEN_HEADER)) return payload;
    const token = bearerToken(request);
    if (token === undefined) return payload;
    try {
      const checked = await tokens.check(token);
      if (!checked.ok) return payload;
      const auth = await identity.authenticate(token);
      if (!auth.ok) return payload;
      const { token: fresh } = await tokens.sign(auth.principal, { rememberMe: checked.claims.rememberMe });
      void reply.header(REFRESHED_TOKEN_HEADER, fresh);
    } catch (error) {
      // The answer the route gave stands; the session simply is not extended this time.
      console.error(`session refresh failed on ${request.method} ${pathOnly(request.url)}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return payload;
  });
}
