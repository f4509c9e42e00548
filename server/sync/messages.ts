// The y-websocket wire format as pure functions over bytes (no sockets, no rooms), like y-protocols,
// but strict: every incoming frame is decoded completely here, and anything malformed throws
// (y-protocols' readSyncMessage catches and logs apply errors, so a server built on it treats
// garbage as success). Byte layout: docs/PROTOCOL.md.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { messageYjsSyncStep1, messageYjsSyncStep2, messageYjsUpdate } from 'y-protocols/sync';
import { MessageType } from '../../shared/protocol.js';

/** One client's awareness entry, as on the wire: `state` is the JSON text ("null" = removed). */
export interface AwarenessEntry {
  clientId: number;
  clock: number;
  state: string;
}

export type IncomingMessage =
  | { kind: 'sync-step1'; stateVector: Uint8Array }
  | { kind: 'sync-step2'; update: Uint8Array }
  | { kind: 'update'; update: Uint8Array }
  | { kind: 'awareness'; entries: AwarenessEntry[] }
  | { kind: 'query-awareness' }
  /** y-protocols' auth message: the stock client never sends one; accepted and ignored. */
  | { kind: 'auth' };

export class MalformedFrameError extends Error {
  override name = 'MalformedFrameError';
}

/** Decodes one frame; throws MalformedFrameError on unknown types, truncation or trailing bytes. */
export function decodeFrame(frame: Uint8Array): IncomingMessage {
  try {
    const decoder = decoding.createDecoder(frame);
    const message = readMessage(decoder);
    if (decoding.hasContent(decoder)) throw new MalformedFrameError('trailing bytes after the message');
    return message;
  } catch (error) {
    if (error instanceof MalformedFrameError) throw error;
    // lib0 throws plain Errors ("Unexpected end of array", "Integer out of Range") on truncation.
    throw new MalformedFrameError(error instanceof Error ? error.message : String(error));
  }
}

function readMessage(decoder: decoding.Decoder): IncomingMessage {
  const type = decoding.readVarUint(decoder);
  switch (type) {
    case MessageType.Sync: {
      const syncType = decoding.readVarUint(decoder);
      const payload = decoding.readVarUint8Array(decoder);
      if (syncType === messageYjsSyncStep1) return { kind: 'sync-step1', stateVector: payload };
      if (syncType === messageYjsSyncStep2) return { kind: 'sync-step2', update: payload };
      if (syncType === messageYjsUpdate) return { kind: 'update', update: payload };
      throw new MalformedFrameError(`unknown sync message type ${syncType}`);
    }
    case MessageType.Awareness:
      return { kind: 'awareness', entries: decodeAwarenessUpdate(decoding.readVarUint8Array(decoder)) };
    case MessageType.QueryAwareness:
      return { kind: 'query-awareness' };
    case MessageType.Auth:
      decoding.readVarUint(decoder);
      decoding.readVarString(decoder);
      return { kind: 'auth' };
    default:
      throw new MalformedFrameError(`unknown message type ${type}`);
  }
}

/** Decodes the inner awareness update; each state must be valid JSON (the clients JSON.parse it). */
export function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const entries: AwarenessEntry[] = [];
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const state = decoding.readVarString(decoder);
    try {
      JSON.parse(state);
    } catch {
      throw new MalformedFrameError(`awareness state of client ${clientId} is not JSON`);
    }
    entries.push({ clientId, clock, state });
  }
  if (decoding.hasContent(decoder)) throw new MalformedFrameError('trailing bytes after the awareness update');
  return entries;
}

export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
  return encodeSync(messageYjsSyncStep1, stateVector);
}

export function encodeSyncStep2(update: Uint8Array): Uint8Array {
  return encodeSync(messageYjsSyncStep2, update);
}

export function encodeUpdate(update: Uint8Array): Uint8Array {
  return encodeSync(messageYjsUpdate, update);
}

function encodeSync(syncType: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.Sync);
  encoding.writeVarUint(encoder, syncType);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

export function encodeAwareness(entries: readonly AwarenessEntry[]): Uint8Array {
  const inner = encoding.createEncoder();
  encoding.writeVarUint(inner, entries.length);
  for (const entry of entries) {
    encoding.writeVarUint(inner, entry.clientId);
    encoding.writeVarUint(inner, entry.clock);
    encoding.writeVarString(inner, entry.state);
  }
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.Awareness);
  encoding.writeVarUint8Array(encoder, encoding.toUint8Array(inner));
  return encoding.toUint8Array(encoder);
}
