// Raw HTTP for the trust tests: fetch cannot set Host or send from another local address, and these
// tests need both (a rebinding page's Host header, strangers on other loopback addresses).
import { request } from 'node:http';
import WebSocket from 'ws';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body parsed as JSON, or null when it is not JSON. */
  json: any;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send from this local address (any of 127.0.0.0/8 reaches a server bound to 127.0.0.1 on Linux). */
  localAddress?: string;
}

export function rawRequest(baseUrl: string, path: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          let json: unknown = null;
          try {
            json = JSON.parse(body.toString('utf8'));
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A JSON request through rawRequest. */
export function jsonRequest(baseUrl: string, method: string, path: string, body: unknown, options: RawRequestOptions = {}): Promise<RawResponse> {
  return rawRequest(baseUrl, path, {
    ...options,
    method,
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(body),
  });
}

/** A multipart/form-data body with one file part, as a page's FormData would send it. */
export function multipartBody(field: string, filename: string, contentType: string, data: Buffer | string): { body: Buffer; contentType: string } {
  const boundary = `----flowshelf-test-${Math.random().toString(16).slice(2)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`;
  const body = Buffer.concat([Buffer.from(head), Buffer.from(data), Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface SocketOutcome {
  /** Frames received before the close. */
  frames: number;
  code: number;
  reason: string;
}

/** Opens a raw socket with the given headers and reports what it received until it was closed. */
export function socketOutcome(url: string, headers: Record<string, string>, closeAfterFirstFrame = false): Promise<SocketOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    let frames = 0;
    ws.on('message', () => {
      frames++;
      if (closeAfterFirstFrame) ws.close(1000);
    });
    ws.on('error', () => {});
    ws.on('close', (code, reason) => resolve({ frames, code, reason: reason.toString() }));
  });
}
