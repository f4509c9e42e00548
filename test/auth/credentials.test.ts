// Password hashing, email rules and the login throttle, on their own.
import { describe, expect, it } from 'vitest';
import { emailProblem, normalizeEmail } from '../../server/auth/emails.js';
import { LoginThrottle } from '../../server/auth/login-throttle.js';
import { clientAddressKey as clientKey } from '../../server/client-address.js';
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
  function fail(throttle: LoginThrottle, email: string, client: string): void {
    expect(throttle.check(email, client).ok).toBe(true);
    throttle.begin(email, client);
  }
  const wait = (v: ReturnType<LoginThrottle['check']>) => (v.ok ? 0 : v.retryAfterSeconds);

  it('blocks an (email, client) pair after 5 failures in 15 minutes until the oldest failure is 15 minutes old', () => {
    const c = clock();
    const throttle = new LoginThrottle({ now: c.now });
    for (let i = 0; i < 5; i++) {
      fail(throttle, 'ann@example.com', '192.0.2.1');
      c.advance(60_000);
    }
    // Oldest failure was 5 minutes ago: 10 more minutes to wait.
    expect(wait(throttle.check('ANN@example.com', '192.0.2.1'))).toBe(600);
    expect(throttle.check('bob@example.com', '192.0.2.1').ok).toBe(true);
    // The owner, elsewhere, is not locked out by a stranger's failures.
    expect(throttle.check('ann@example.com', '198.51.100.9').ok).toBe(true);
    c.advance(600_000);
    expect(throttle.check('ann@example.com', '192.0.2.1').ok).toBe(true);
  });

  it('failures spread over more than the window never block', () => {
    const c = clock();
    const throttle = new LoginThrottle({ now: c.now });
    for (let i = 0; i < 20; i++) {
      fail(throttle, 'ann@example.com', '192.0.2.1');
      c.advance(4 * 60_000);
    }
    expect(throttle.check('ann@example.com', '192.0.2.1').ok).toBe(true);
  });

  it('a full table refuses new strangers instead of forgetting anyone', () => {
    const throttle = new LoginThrottle({ maxClients: 2, maxFailures: 1 });
    fail(throttle, 'a@example.com', '192.0.2.1');
    fail(throttle, 'b@example.com', '192.0.2.2');
    const third = throttle.check('c@example.com', '192.0.2.3');
    expect(third).toMatchObject({ ok: false, status: 503 });
    expect(throttle.check('a@example.com', '192.0.2.1')).toMatchObject({ ok: false, status: 429 });
  });

  it('an address budget and an account budget bound strangers; a trusted pair is exempt from both', () => {
    const throttle = new LoginThrottle({ clientBudget: 3, accountBudget: 4 });
    throttle.begin('ann@example.com', '192.0.2.50').succeeded();
    for (const email of ['x@example.com', 'y@example.com', 'z@example.com']) fail(throttle, email, '192.0.2.1');
    expect(throttle.check('w@example.com', '192.0.2.1')).toMatchObject({ ok: false, status: 429, detail: expect.stringMatching(/from this address/) });
    for (const ip of ['192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5']) fail(throttle, 'ann@example.com', ip);
    expect(throttle.check('ann@example.com', '192.0.2.6')).toMatchObject({ ok: false, status: 429 });
    const owner = throttle.check('ann@example.com', '192.0.2.50');
    expect(owner).toMatchObject({ ok: true, trusted: true });
    expect(owner.ok && owner.lane).toBe(throttle.trustedLane);
  });

  it('keys IPv6 clients by their /64 and IPv4-mapped addresses as IPv4', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe(clientKey('2001:db8:1:2:ffff:1:2:3'));
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('::1')).toBe('::/64');
    expect(clientKey('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(clientKey('192.0.2.1')).toBe('192.0.2.1');
  });
});
