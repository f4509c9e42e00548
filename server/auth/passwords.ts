// Password hashing with node:crypto scrypt. The stored form describes itself
// (`scrypt$N$r$p$salt$hash`, base64) so the cost can be raised later without breaking old hashes.
// Accounts moved in from InvokeAI keep their passlib bcrypt hash (`$2b$12$...`) until their first
// successful login, which replaces it with scrypt (users.ts authenticate); bcrypt is only ever verified.
import bcrypt from 'bcryptjs';
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { BoundedQueue } from '../http/bounded-queue.js';

/** The rule for every new password (setup, user creation, reset, change), API and CLI alike. */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

/** Why `password` cannot be a new password ('must be at least 8 characters'), or null if it can. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

const N = 2 ** 15;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// scrypt needs 128 * N * r bytes (32 MiB here); Node's default maxmem is exactly 32 MiB and refuses it.
const MAX_MEM = 128 * N * R * 2;
// Refuse absurd parameters read back from the database rather than stalling the process on them.
const MAX_N = 2 ** 20;

/**
 * Each scrypt holds one of libuv's 4 pool threads (and 32 MiB) for its whole run: at most two at once,
 * process-wide, so file reads and an image job always find a thread. Callers are bounded themselves
 * (the login lanes), so waiting here is short and never refused.
 */
const hashing = new BoundedQueue(2);

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return hashing.run(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scryptCallback(password.normalize('NFKC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
      ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, { N, r: R, p: P, maxmem: MAX_MEM });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * bcrypt as InvokeAI's passlib writes it (`$2b$`; `$2a$`/`$2y$` are the same algorithm): cost, 22
 * characters of salt, 31 of hash. The cost is bounded because bcryptjs runs on the main thread (in
 * 100 ms slices): passlib's default is 12 (~0.35 s here), 14 is four times that; anything higher is
 * refused rather than let one login stall everyone for seconds.
 */
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const MIN_BCRYPT_COST = 4;
export const MAX_BCRYPT_COST = 14;

export type HashScheme = 'scrypt' | 'bcrypt' | 'none' | 'unknown';

/** Which scheme a stored hash is in ('none' for '', the no-password marker). Parameters are not checked here. */
export function hashScheme(stored: string): HashScheme {
  if (stored === '') return 'none';
  if (stored.startsWith('scrypt$')) return 'scrypt';
  if (BCRYPT.test(stored)) return 'bcrypt';
  return 'unknown';
}

/** Why a hash brought from elsewhere (InvokeAI) cannot be kept for logging in, or null when it can. */
export function foreignHashProblem(stored: string): string | null {
  const scheme = hashScheme(stored);
  if (scheme === 'none') return 'it has no password';
  if (scheme !== 'bcrypt') return 'its password hash is not bcrypt';
  const cost = Number(BCRYPT.exec(stored)![1]);
  if (cost < MIN_BCRYPT_COST || cost > MAX_BCRYPT_COST) {
    return `its bcrypt cost ${cost} is outside ${MIN_BCRYPT_COST}..${MAX_BCRYPT_COST}`;
  }
  return null;
}

/** True when a login that just verified `stored` should replace it with this module's scrypt. */
export function needsRehash(stored: string): boolean {
  return hashScheme(stored) === 'bcrypt';
}

/**
 * InvokeAI hashes at most 72 bytes of UTF-8 (bcrypt's limit), cutting longer passwords there and
 * dropping a character split by the cut; the same cut here makes every password InvokeAI accepted
 * verify. No NFKC: InvokeAI hashed the characters as typed.
 */
function invokeAIBcryptInput(password: string): string {
  const bytes = Buffer.from(password, 'utf8');
  if (bytes.length <= 72) return password;
  let end = 72;
  // Back up over a multi-byte character the cut split (continuation bytes are 10xxxxxx).
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

function verifyBcrypt(password: string, stored: string): Promise<boolean> {
  if (foreignHashProblem(stored) !== null) return Promise.resolve(false);
  // Through the same queue as scrypt: at most two password checks at once, whichever the scheme.
  return hashing.run(() => bcrypt.compare(invokeAIBcryptInput(password), stored));
}

/** False for a wrong password and for anything that is not a hash this module can verify (e.g. ''). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (hashScheme(stored) === 'bcrypt') return verifyBcrypt(password, stored);
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every(Number.isSafeInteger) || n < 2 || n > MAX_N || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (salt.length === 0 || expected.length === 0) return false;
  const key = await scrypt(password, salt, expected.length, { N: n, r, p, maxmem: 128 * n * r * 2 });
  return timingSafeEqual(key, expected);
}

/** A hash of nothing anyone knows: verified against for unknown emails so both paths take as long. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  return decoy;
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const PUNCTUATION = '!#$%&()*+,-./:;<=>?@[]^_{|}~';

/** 16 characters from letters, digits and punctuation, with at least one upper, lower and digit (as InvokeAI). */
export function generatePassword(length = 16): string {
  const all = UPPER + LOWER + DIGITS + PUNCTUATION;
  const pick = (set: string) => set[randomIndex(set.length)]!;
  const chars = [pick(UPPER), pick(LOWER), pick(DIGITS)];
  while (chars.length < length) chars.push(pick(all));
  // Fisher-Yates with crypto randomness so the guaranteed classes are not always first.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomIndex(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

function randomIndex(bound: number): number {
  // Rejection sampling keeps the choice unbiased.
  const limit = 256 - (256 % bound);
  for (;;) {
    const byte = randomBytes(1)[0]!;
    if (byte < limit) return byte % bound;
  }
}
