// Issue 9, "6.": image work is bounded and kept apart from logins; the login throttle cannot be flushed
// and a stranger cannot lock an account's owner out; PATCH /me's current_password is throttled too.
// Strangers are other loopback addresses (127.0.0.0/8 all reach a server bound to 127.0.0.1 on Linux).
// Nothing here measures time: slots are held open by the test and the answers are checked while
// jobs are known to wait behind them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import { LoginThrottle, type ThrottleOptions } from '../../server/auth/login-throttle.js';
import { parseConfig } from '../../server/config.js';
import { imageJobs } from '../../server/http/thumbnail-image.js';
import { createWorkflow } from '../api/fixtures.js';
import { api, setupAdmin } from '../helpers/server.js';
import { waitFor } from '../sync/clients.js';
import { jsonRequest, multipartBody, rawRequest, type RawResponse } from './http.js';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Started {
  url: string;
  server: RunningServer;
  throttle: LoginThrottle;
  clientDir: string;
}

async function start(options: { multiuser?: boolean; throttle?: ThrottleOptions } = {}): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowshelf-starve-'));
  const clientDir = mkdtempSync(join(tmpdir(), 'flowshelf-starve-client-'));
  writeFileSync(join(clientDir, 'index.html'), '<!doctype html><title>app</title>');
  const throttle = new LoginThrottle(options.throttle);
  const config = { ...parseConfig([], {}), host: '127.0.0.1', port: 0, dataDir, multiuser: options.multiuser ?? true };
  const server = await startServer(config, { clientDir, loginThrottle: throttle });
  cleanups.push(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(clientDir, { recursive: true, force: true });
  });
  return { url: server.url, server, throttle, clientDir };
}

/** Holds a queue's only slot until release() is called. */
function hold(run: (job: () => Promise<void>) => Promise<void>): { release: () => void; done: Promise<void> } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { release, done: run(() => gate) };
}

/** Tracks whether a request has been answered yet. */
function tracked(p: Promise<RawResponse>): { answered: () => boolean; response: Promise<RawResponse> } {
  let answered = false;
  const response = p.finally(() => (answered = true));
  return { answered: () => answered, response };
}

function login(url: string, email: string, password: string, from?: string): Promise<RawResponse> {
  return jsonRequest(url, 'POST', '/api/v1/auth/login', { email, password }, { localAddress: from });
}

function putThumbnail(url: string, id: string, data: Buffer | string, type: string, token?: string): Promise<RawResponse> {
  const { body, contentType } = multipartBody('image', 'thumb', type, data);
  return rawRequest(url, `/api/v1/workflows/i/${id}/thumbnail`, {
    method: 'PUT',
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
}

/** A PNG header that claims width x height pixels (no real pixel data follows). */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (grey), no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(width + 1))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const blurredCircles = (() => {
  const circles = Array.from({ length: 600 }, (_, i) => `<circle cx="${(i * 37) % 2000}" cy="${(i * 53) % 2000}" r="400" filter="url(#b)"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="2000"><filter id="b"><feGaussianBlur stdDeviation="80"/></filter>${circles.join('')}</svg>`;
})();

describe('thumbnail images', () => {
  it('refuses SVG with 415 and a reason, before any decoder runs; raster images are stored', async () => {
    const s = await start({ multiuser: false });
    const wf = await createWorkflow(api(s), 'With thumbnail');
    const svg = await putThumbnail(s.url, wf.workflow_id, blurredCircles, 'image/svg+xml');
    expect(svg.status).toBe(415);
    expect(svg.json.detail).toMatch(/PNG, JPEG, WebP or GIF/);
    // The same SVG sent as image/png is still an SVG.
    expect((await putThumbnail(s.url, wf.workflow_id, blurredCircles, 'image/png')).status).toBe(415);
    expect((await rawRequest(s.url, `/api/v1/workflows/i/${wf.workflow_id}/thumbnail`)).status).toBe(404);

    const png = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#3b5bdb' } }).png().toBuffer();
    expect((await putThumbnail(s.url, wf.workflow_id, png, 'image/png')).status).toBe(200);
    const stored = await rawRequest(s.url, `/api/v1/workflows/i/${wf.workflow_id}/thumbnail`);
    expect(stored.status).toBe(200);
    expect(await sharp(stored.body).metadata()).toMatchObject({ format: 'webp', width: 256, height: 171 });
  });

  it('refuses an image over the pixel limit without decoding it', async () => {
    const s = await start({ multiuser: false });
    const wf = await createWorkflow(api(s), 'Huge');
    const res = await putThumbnail(s.url, wf.workflow_id, pngClaiming(8000, 8000), 'image/png');
    expect(res.status).toBe(415);
    expect(res.json.detail).toBe('Failed to read image: larger than 40000000 pixels');
    // A PNG signature followed by anything else is a PNG that cannot be read, in InvokeAI's words.
    const broken = await putThumbnail(s.url, wf.workflow_id, Buffer.concat([pngClaiming(10, 10).subarray(0, 16), Buffer.from('garbage')]), 'image/png');
    expect([broken.status, broken.json.detail]).toEqual([415, 'Failed to read image']);
  });

  it('runs one image job at a time, answers 503 when the queue is full, and serves logins and files meanwhile', async () => {
    const s = await start({ multiuser: true });
    const admin = await setupAdmin(s);
    const wf = await createWorkflow(api(s, admin.token), 'Queued');
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#fff' } }).png().toBuffer();

    const slot = hold((job) => imageJobs.run(job));
    const waiting = Array.from({ length: imageJobs.maxWaiting }, () => tracked(putThumbnail(s.url, wf.workflow_id, png, 'image/png', admin.token)));
    await waitFor(() => imageJobs.waitingCount === imageJobs.maxWaiting, 'uploads queued behind the held image job');
    const overflow = await putThumbnail(s.url, wf.workflow_id, png, 'image/png', admin.token);
    expect(overflow.status).toBe(503);
    expect(overflow.headers['retry-after']).toBe('5');
    expect(overflow.json.detail).toMatch(/Too many images/);

    // While every image job waits: a login (scrypt) and a static file (fs) are answered.
    expect((await login(s.url, ADMIN.email, ADMIN.password)).status).toBe(200);
    expect((await rawRequest(s.url, '/index.html')).status).toBe(200);
    expect(waiting.map((w) => w.answered())).toEqual(waiting.map(() => false));

    slot.release();
    await slot.done;
    expect((await Promise.all(waiting.map((w) => w.response))).map((r) => r.status)).toEqual(waiting.map(() => 200));
  });
});

describe('login throttle', () => {
  it('a stranger cannot lock the owner out: five wrong passwords lock only the stranger', async () => {
    const s = await start();
    await setupAdmin(s, ADMIN.email, ADMIN.password);
    for (let i = 0; i < 5; i++) expect((await login(s.url, ADMIN.email, `wrong-password-${i}`, '127.0.0.2')).status).toBe(401);
    const locked = await login(s.url, ADMIN.email, ADMIN.password, '127.0.0.2');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // The owner, from where they logged in before and from a new address alike.
    expect((await login(s.url, ADMIN.email, ADMIN.password, '127.0.0.1')).status).toBe(200);
    expect((await login(s.url, ADMIN.email, ADMIN.password, '127.0.0.3')).status).toBe(200);
  });

  it('one address has a failure budget over all accounts (unknown emails count the same)', async () => {
    const s = await start({ throttle: { clientBudget: 4 } });
    await setupAdmin(s, ADMIN.email, ADMIN.password);
    for (let i = 0; i < 4; i++) expect((await login(s.url, `nobody${i}@example.com`, 'wrong-password', '127.0.0.2')).status).toBe(401);
    const spent = await login(s.url, 'nobody-else@example.com', 'wrong-password', '127.0.0.2');
    expect(spent.status).toBe(429);
    expect(spent.json.detail).toMatch(/from this address/);
    // A known account from that address gets the same answer: no email probing.
    expect((await login(s.url, ADMIN.email, 'wrong-password', '127.0.0.2')).json).toEqual(spent.json);
    expect((await login(s.url, ADMIN.email, ADMIN.password, '127.0.0.3')).status).toBe(200);
  });

  it('a spray of unknown emails cannot flush a lock: a full table refuses newcomers, forgets nobody', async () => {
    const s = await start({ throttle: { maxClients: 3 } });
    await setupAdmin(s, ADMIN.email, ADMIN.password);
    for (let i = 0; i < 5; i++) await login(s.url, ADMIN.email, `wrong-password-${i}`, '127.0.0.2');
    expect((await login(s.url, ADMIN.email, ADMIN.password, '127.0.0.2')).status).toBe(429);
    for (const ip of ['127.0.0.3', '127.0.0.4']) expect((await login(s.url, 'spray@example.com', 'x-password', ip)).status).toBe(401);
    const newcomer = await login(s.url, 'spray@example.com', 'x-password', '127.0.0.5');
    expect(newcomer.status).toBe(503);
    expect((await login(s.url, ADMIN.email, ADMIN.password, '127.0.0.2')).status).toBe(429);
    // The owner has logged in from 127.0.0.1 before (setup): trusted, still served.
    expect((await login(s.url, ADMIN.email, ADMIN.password, '127.0.0.1')).status).toBe(200);
  });

  it('strangers share one bounded lane; an owner who has logged in here before never waits behind them', async () => {
    const s = await start({ throttle: { strangerQueue: 2 } });
    await setupAdmin(s, ADMIN.email, ADMIN.password); // logs in from 127.0.0.1: trusted from now on
    const lane = hold((job) => s.throttle.strangerLane.run(job));
    const strangers = ['127.0.0.2', '127.0.0.3'].map((ip) => tracked(login(s.url, `spray-${ip}@example.com`, 'wrong-password', ip)));
    await waitFor(() => s.throttle.strangerLane.waitingCount === 2, 'stranger logins queued');
    const full = await login(s.url, 'spray@example.com', 'wrong-password', '127.0.0.4');
    expect(full.status).toBe(503);
    // A known email from an untrusted address is treated exactly the same.
    const known = await login(s.url, ADMIN.email, ADMIN.password, '127.0.0.5');
    expect([known.status, known.json]).toEqual([full.status, full.json]);

    expect((await login(s.url, ADMIN.email, ADMIN.password, '127.0.0.1')).status).toBe(200);
    expect(strangers.map((t) => t.answered())).toEqual([false, false]);
    lane.release();
    await lane.done;
    expect((await Promise.all(strangers.map((t) => t.response))).map((r) => r.status)).toEqual([401, 401]);
    // Refused for a full lane is not a failure: 127.0.0.5 logs in once there is room.
    expect((await login(s.url, ADMIN.email, ADMIN.password, '127.0.0.5')).status).toBe(200);
  });

  it("PATCH /me's current_password is throttled like a login", async () => {
    const s = await start();
    const admin = await setupAdmin(s, ADMIN.email, ADMIN.password);
    const change = (current: string) =>
      jsonRequest(s.url, 'PATCH', '/api/v1/auth/me', { current_password: current, new_password: 'new-password-1' }, {
        headers: { authorization: `Bearer ${admin.token}` },
        localAddress: '127.0.0.2',
      });
    for (let i = 0; i < 5; i++) expect((await change(`wrong-password-${i}`)).status).toBe(400);
    const locked = await change(ADMIN.password);
    expect(locked.status).toBe(429);
    expect(locked.json.detail).toMatch(/Too many failed login attempts/);
    // Unchanged: the old password still logs in.
    expect((await login(s.url, ADMIN.email, ADMIN.password, '127.0.0.1')).status).toBe(200);
  });
});
