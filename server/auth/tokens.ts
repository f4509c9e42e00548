// Session tokens: HS256 JWTs (contract §2) signed with a secret generated on first start and kept in
// the settings store (app_settings), so tokens survive restarts and every process on the same database agrees on them.
import { errors, jwtVerify, SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import type { SettingsStore } from '../storage/user-store.js';

/** The setting holding the HS256 secret (hex), as InvokeAI names it. */
export const JWT_SECRET_KEY = 'jwt_secret';

export const TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;
export const REMEMBER_ME_LIFETIME_SECONDS = 7 * 24 * 60 * 60;

export interface TokenClaims {
  userId: string;
  email: string;
  isAdmin: boolean;
  /** Whether the session was opened with "remember me": a refreshed token keeps its lifetime. */
  rememberMe: boolean;
  /** The user's revocation epoch when the token was issued (0 for tokens from before epochs existed). */
  tokenEpoch: number;
  /** Expiry, seconds since the epoch (the JWT `exp`). */
  exp: number;
}

export type VerifyResult = { ok: true; claims: TokenClaims } | { ok: false; reason: 'invalid' | 'expired' };

export class TokenService {
  private constructor(private readonly key: Uint8Array) {}

  /**
   * Loads the signing secret, creating it if the store has none yet. Several nodes (or the CLI and the
   * server) may start together: getOrCreate stores one secret and every one of them reads it back.
   */
  static async fromSettings(settings: SettingsStore): Promise<TokenService> {
    const secret = await settings.getOrCreate(JWT_SECRET_KEY, () => randomBytes(32).toString('hex'));
    return new TokenService(new TextEncoder().encode(secret));
  }

  /**
   * Signs a token for the user. `expiresAt` (epoch seconds) overrides the lifetime; tests use it to
   * mint already-expired tokens with the real secret.
   */
  async sign(
    user: { userId: string; email: string; isAdmin: boolean; tokenEpoch?: number },
    options: { rememberMe?: boolean; expiresAt?: number } = {},
  ): Promise<{ token: string; expiresIn: number; exp: number }> {
    const expiresIn = options.rememberMe ? REMEMBER_ME_LIFETIME_SECONDS : TOKEN_LIFETIME_SECONDS;
    const exp = options.expiresAt ?? Math.floor(Date.now() / 1000) + expiresIn;
    const token = await new SignJWT({
      user_id: user.userId,
      email: user.email,
      is_admin: user.isAdmin,
      remember_me: options.rememberMe ?? false,
      token_epoch: user.tokenEpoch ?? 0,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresIn, exp };
  }

  /** Why a token is not acceptable, or its claims. Never throws. */
  async check(token: string): Promise<VerifyResult> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], requiredClaims: ['exp'] });
      const { user_id, email, is_admin, exp, remember_me, token_epoch } = payload;
      if (typeof user_id !== 'string' || typeof email !== 'string' || typeof is_admin !== 'boolean' || typeof exp !== 'number') {
        return { ok: false, reason: 'invalid' };
      }
      // Both claims are optional, as in InvokeAI: tokens issued before them count as epoch 0.
      if ((token_epoch !== undefined && !Number.isSafeInteger(token_epoch)) || (remember_me !== undefined && typeof remember_me !== 'boolean')) {
        return { ok: false, reason: 'invalid' };
      }
      return {
        ok: true,
        claims: { userId: user_id, email, isAdmin: is_admin, rememberMe: remember_me === true, tokenEpoch: (token_epoch as number | undefined) ?? 0, exp },
      };
    } catch (err) {
      return { ok: false, reason: err instanceof errors.JWTExpired ? 'expired' : 'invalid' };
    }
  }

  /** The claims of a valid, unexpired token; null on any failure. */
  async verify(token: string): Promise<TokenClaims | null> {
    const result = await this.check(token);
    return result.ok ? result.claims : null;
  }
}
