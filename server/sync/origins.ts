// Who made a change to a served document. Yjs hands every update its transaction's origin, compared
// by identity; the sync core keeps its own objects there (the client's Connection, so a room can skip
// the sender when it forwards; one ServerOrigin for server-side writes; a RemoteOrigin per update that
// another node committed) and translates them into the typed ChangeOrigin that extensions see.
import { Connection } from './connection.js';

export type ChangeOrigin =
  /** A socket's update. */
  | { kind: 'client'; connection: Connection }
  /** A write through withDocument (REST, the library, the publisher). */
  | { kind: 'server'; reason?: string }
  /** Committed by another node and carried here by the fan-out: stored already, never stored again. */
  | { kind: 'remote'; nodeId: string; seq: number };

/** A server-side write's origin; pass one to doc.transact to say why (optional). */
export class ServerOrigin {
  readonly kind = 'server';
  constructor(readonly reason?: string) {}
}

/** The origin under which an update committed by another node is applied here. */
export class RemoteOrigin {
  readonly kind = 'remote';
  constructor(
    readonly nodeId: string,
    readonly seq: number,
  ) {}
}

/** The default origin of server-side writes. */
export const SERVER_ORIGIN = new ServerOrigin();

/**
 * The typed origin of a transaction origin. Anything that is neither a client's Connection nor a
 * remote node's update was made on this server (withDocument writers often pass no origin at all).
 */
export function originOf(transactionOrigin: unknown): ChangeOrigin {
  if (transactionOrigin instanceof Connection) return { kind: 'client', connection: transactionOrigin };
  if (transactionOrigin instanceof RemoteOrigin) return { kind: 'remote', nodeId: transactionOrigin.nodeId, seq: transactionOrigin.seq };
  if (transactionOrigin instanceof ServerOrigin) return transactionOrigin.reason === undefined ? { kind: 'server' } : { kind: 'server', reason: transactionOrigin.reason };
  return { kind: 'server' };
}
