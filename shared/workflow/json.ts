// JSON values: the only thing a workflow may contain. Imports only the shared limits.
import { isOverValueLimit, MAX_VALUE_BYTES } from './limits.js';

export type JsonPrimitive = string | number | boolean | null;
export type JsonObject = { [key: string]: JsonValue };
export type JsonArray = JsonValue[];
export type JsonValue = JsonPrimitive | JsonObject | JsonArray;

/**
 * Nesting limit for JSON we accept (a workflow: the workflow object is one level). InvokeAI's deepest
 * default workflow nests 7 levels. The limit makes a hostile value (or a cyclic JS object) end in a
 * clear error instead of a stack overflow, and keeps every workflow a REST call accepts inside the
 * document depth limit MAX_DOCUMENT_DEPTH (a workflow sits 2 levels below its document's root: entry,
 * then workflow; a test checks that it fits), so the app can always sync what the server wrote.
 */
export const MAX_JSON_DEPTH = 48;

/** Where a value stopped being JSON: `path` is the dotted path ('' for the value itself). */
export interface JsonProblem {
  path: string;
  error: string;
}

export type JsonCopyResult = { ok: true; value: JsonValue } | { ok: false; problem: JsonProblem };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Sets a key on a plain object as an own property. Plain assignment of '__proto__' would change the
 * prototype instead (JSON.parse creates it as an own key, so round trips must too).
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * Stands in for something a reader found where JSON belongs and could not turn into a plain value
 * (a Yjs text, XML or subdocument, a type nested too deep): copyJson reports its description.
 */
export class UnreadableValue {
  constructor(readonly description: string) {}
}

/** A short name for a value that is not JSON (or not the JSON expected), for error messages. */
export function describeValue(value: unknown): string {
  if (value instanceof UnreadableValue) return value.description;
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value); // NaN, Infinity, -Infinity
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return 'a bigint';
  if (typeof value === 'symbol') return 'a symbol';
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'object' && value !== null) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `a ${name}` : 'a non-plain object';
  }
  return typeof value;
}

function joinPath(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`;
}

const TOO_LONG = `longer than ${MAX_VALUE_BYTES} bytes`;

/**
 * Deep-copies `value` if it is JSON (plain objects, arrays, strings, finite numbers, booleans, null),
 * nested at most MAX_JSON_DEPTH levels, with no string or key longer than MAX_VALUE_BYTES, keeping
 * key order; otherwise names the first place it is not. Never throws.
 */
export function copyJson(value: unknown): JsonCopyResult {
  let problem: JsonProblem | null = null;
  const walk = (v: unknown, path: string, depth: number): JsonValue => {
    if (problem) return null;
    if (typeof v === 'string') {
      if (isOverValueLimit(v)) problem = { path, error: `a string ${TOO_LONG}` };
      return v;
    }
    if (v === null || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) return v;
      problem = { path, error: `not a JSON value (${describeValue(v)})` };
      return null;
    }
    if (depth >= MAX_JSON_DEPTH) {
      problem = { path, error: `nested deeper than ${MAX_JSON_DEPTH} levels` };
      return null;
    }
    if (Array.isArray(v)) {
      const out: JsonValue[] = [];
      for (let i = 0; i < v.length && !problem; i++) out.push(walk(v[i], joinPath(path, i), depth + 1));
      return out;
    }
    if (isPlainObject(v)) {
      const out: JsonObject = {};
      for (const key of Object.keys(v)) {
        if (problem) break;
        if (isOverValueLimit(key)) {
          problem = { path, error: `a key ${TOO_LONG}` };
          break;
        }
        setOwn(out, key, walk(v[key], joinPath(path, key), depth + 1));
      }
      return out;
    }
    problem = { path, error: `not a JSON value (${describeValue(v)})` };
    return null;
  };
  const copied = walk(value, '', 0);
  return problem ? { ok: false, problem } : { ok: true, value: copied };
}

/** True when `value` is JSON all the way down (see copyJson). */
export function isJsonValue(value: unknown): value is JsonValue {
  return copyJson(value).ok;
}

/** Structural equality of two JSON values; key order does not matter, array order does. */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i]!, b[i]!)) return false;
    return true;
  }
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  for (const key of aKeys) {
    if (!Object.prototype.hasOwnProperty.call(b, key) || !jsonEqual(a[key]!, b[key]!)) return false;
  }
  return true;
}
