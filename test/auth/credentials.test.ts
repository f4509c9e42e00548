// Password hashing, email rules and the login throttle, on their own.
import { describe, expect, it } from 'vitest';
import { emailProblem, normalizeEmail } from '../../server/auth/emails.js';
import { LoginThrottle } from '../../server/auth/login-throttle.js';
import { generatePassword, hashPassword, verifyPassword } from '../../server/auth/passwords.js';

describe('password hashes', () => {
  it('are self-describing scrypt hashes with a fresh 16-byte salt each time', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(Buffer.from(a.split('$')[4]!, 'base64')).toHaveLength(16);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct');
  });

  it('verify the right password only', async () => {
    const hash = await hashPassword('correct horse');
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horsE', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('never verify against an empty, foreign or tampered hash', async () => {
    const hash = await hashPassword('pw-123456');
    const parts = hash.split('$');
    expect(await verifyPassword('', '')).toBe(false);
    expect(await verifyPassword('pw-123456', '$2b$12$abcdefghijklmnopqrstuv')).toBe(false);
    expect(await verifyPassword('pw-123456', [...parts.slice(0, 1), '1073741824', ...parts.slice(2)].join('$'))).toBe(false);
    expect(await verifyPassword('pw-123456', [...parts.slice(0, 5), Buffer.alloc(32).toString('base64')].join('$'))).toBe(false);
  });

  it('generated passwords have 16 characters with upper, lower and digit, and differ', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const pw = generatePassword();
      expect(pw).toHaveLength(16);
      expect(pw).toMatch(/[A-Z]/);
      expect(pw).toMatch(/[a-z]/);
      expect(pw).toMatch(/[0-9]/);
      seen.add(pw);
    }
    expect(seen.size).toBe(50);
  });
});

describe('emails', () => {
  it.each(['ann@example.com', 'a.b+tag@sub.example.co.uk', 'admin@localhost', 'me@studio.local', 'x@qa.test', "o'brien@example.ie"])(
    'accepts %s',
    (email) => expect(emailProblem(email)).toBeNull(),
  );
  it.each(['', 'ann', '@example.com', 'ann@', 'ann@example', 'a b@example.com', 'ann@exa_mple.com', 'ann@-example.com', 'a..b@example.com', 'ann@example.c0m'])(
    'refuses %j',
    (email) => expect(emailProblem(email)).not.toBeNull(),
  );
  it('normalises case and surrounding space', () => {
    expect(normalizeEmail('  Ann@Example.COM ')).toBe('ann@example.com');
  });
});

describe('LoginThrottle', () => {
  function clock() {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  }

  it('blocks an email after 5 failures in 15 minutes until the oldest failure is 15 minutes old', () => {
    const c = clock();
    const throttle = new LoginThrottle({ now: c.now });
    for (let i = 0; i < 5; i++) {
      expect(throttle.retryAfterSeconds('ann@example.com')).toBe(0);
      throttle.recordFailure('ann@example.com');
      c.advance(60_000);
    }
    // Oldest failure was 5 minutes ago: 10 more minutes to wait.
    expect(throttle.retryAfterSeconds('ANN@example.com')).toBe(600);
    expect(throttle.retryAfterSeconds('bob@example.com')).toBe(0);
    c.advance(600_000);
    expect(throttle.retryAfterSeconds('ann@example.com')).toBe(0);
  });

  it('failures spread over more than the window never block', () => {
    const c = clock();
    const throttle = new LoginThrottle({ now: c.now });
    for (let i = 0; i < 20; i++) {
      throttle.recordFailure('ann@example.com');
      c.advance(4 * 60_000);
      expect(throttle.retryAfterSeconds('ann@example.com')).toBe(0);
    }
  });

  it('forgets the stalest emails beyond its size bound', () => {
    const throttle = new LoginThrottle({ maxTracked: 2, maxFailures: 1 });
    throttle.recordFailure('a@example.com');
    throttle.recordFailure('b@example.com');
    throttle.recordFailure('c@example.com');
    expect(throttle.retryAfterSeconds('a@example.com')).toBe(0);
    expect(throttle.retryAfterSeconds('c@example.com')).toBeGreaterThan(0);
  });
});
