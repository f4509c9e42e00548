// One authenticated socket on one document. Knows the socket only through SyncSocket (four
// members), so the protocol handling can be driven without `ws`. Every frame is decoded and applied
// here inside try/catch; a bad frame closes this connection with 4400 and nothing else.
import * as Y from 'yjs';
import { CloseCode } from '../../shared/protocol.js';
import type { Principal } from '../auth/principal.js';
import { deletes } from '../storage/quota.js';
import type { DocumentRoom, RoomMember } from './document-room.js';
import { decodeFrame, encodeSyncStep1, MalformedFrameError } from './messages.js';
import type { Access } from './policy.js';

export interface SyncSocket {
  send(frame: Uint8Array): void;
  close(code: number, reason: string): void;
  /**
   * Bytes queued for sending whose write has not completed (WebSocket frame headers included, as in
   * `ws`); see send() for the rule on it.
   */
  readonly bufferedAmount: number;
  /**
   * Bytes of the write now in progress that the kernel has not taken yet (libuv's writeQueueSize),
   * 0 when not known. One write can carry megabytes (a large frame, or every frame queued meanwhile,
   * written at once), so progress inside it must count too.
   */
  readonly unsentOfCurrentWrite: number;
}

export interface ConnectionLimits {
  /** Soft bound on queued outbound bytes: above it the connection is watched for progress. */
  maxBufferedBytes: number;
  /** Hard bound: a frame that would queue beyond it closes the connection at once (memory). */
  hardMaxBufferedBytes: number;
  /** Watch window: over the soft bound with nothing drained for this long (with I/O run) is stalled. */
  stallWindowMs: number;
  /** Awareness messages per second a connection may send on average, and in a burst. */
  awarenessPerSecond: number;
  awarenessBurst: number;
}

export class Connection implements RoomMember {
  closed = false;
  /** The update being applied must be checked against the quota at its commit (see handleFrame). */
  quotaAtCommit = false;
  /** Frames dropped because the connection is read-only (writes) or over its awareness rate. */
  dropped = 0;
  private awarenessTokens: number;
  private awarenessRefilledAt = Date.now();
  /** Every byte handed to the socket, framed; minus bufferedAmount, the bytes whose write completed. */
  private bytesQueued = 0;
  private lastCheck = { completed: 0, unsentOfCurrentWrite: 0 };
  /** Over the soft bound and under watch (a window is running or about to start). */
  private watched = false;
  private stallTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: SyncSocket,
    readonly room: DocumentRoom,
    public principal: Principal,
    public access: Exclude<Access, 'none'>,
    private readonly limits: ConnectionLimits,
    private readonly onClose: (connection: Connection) => void,
    private readonly log: (message: string) => void,
  ) {
    this.awarenessTokens = limits.awarenessBurst;
  }

  /** Joins the room and starts the sync: a writer gets the server's step 1 to send what it has. */
  start(): void {
    this.room.join(this);
    if (this.access === 'read-write') this.send(encodeSyncStep1(Y.encodeStateVector(this.room.doc)));
    const awareness = this.room.awarenessFrame();
    if (awareness !== null) this.send(awareness);
  }

  handleFrame(frame: Uint8Array): void {
    if (this.closed) return;
    let message;
    try {
      message = decodeFrame(frame);
    } catch (error) {
      this.refuse(error);
      return;
    }
    switch (message.kind) {
      case 'sync-step1':
        try {
          Y.decodeStateVector(message.stateVector);
        } catch (error) {
          this.refuse(error);
          return;
        }
        this.room.answerStep1(this, message.stateVector);
        return;
      case 'sync-step2':
      case 'update': {
        // Read-only: dropped, never applied, stored or forwarded; the socket stays open.
        if (this.access !== 'read-write') {
          this.dropped++;
          return;
        }
        // Over the owner's storage quota: refused before it is applied, so it is never stored or
        // forwarded; the client keeps it (final code: resending cannot help until space is freed).
        // An update that also deletes may free what it adds (a replaced value; workflows deleted on a
        // device whose new content was refused): it is applied and measured exactly at its commit,
        // where one still over the quota is refused like this (SyncServer.enqueue).
        const overQuota = this.room.quotaRefusal(message.update, false);
        if (overQuota !== null && !deletes(message.update)) {
          this.log(`refused an update of user ${this.principal.userId} to ${this.room.name}: over the storage quota (${overQuota.usedBytes} of ${overQuota.limitBytes} bytes)`);
          this.close(CloseCode.QuotaExceeded, `storage quota exceeded: ${overQuota.usedBytes} of ${overQuota.limitBytes} bytes`);
          return;
        }
        this.quotaAtCommit = overQuota !== null;
        const result = this.room.applyClientUpdate(message.update, this);
        this.quotaAtCommit = false;
        if (typeof result === 'object') {
          // Over the depth or value limits (contract §3): never applied, stored or forwarded.
          if (result.refused === 'malformed') this.refuse(new MalformedFrameError(`update cannot be read: ${result.reason}`));
          else {
            this.log(`refused an update of user ${this.principal.userId} to ${this.room.name}: ${result.reason}`);
            // A close reason is at most 123 bytes; the reasons of update-limits.ts are ASCII.
            this.close(CloseCode.TooLarge, `update over the limits: ${result.reason}`.slice(0, 123));
          }
        } else if (result === 'malformed') this.refuse(new MalformedFrameError('update cannot be applied'));
        else if (result === 'too-much-pending') this.refuse(new MalformedFrameError('update depends on too much missing state'));
        return;
      }
      case 'awareness': {
        // Read-only connections do not publish presence: a viewer of `public` has nobody to tell,
        // and awareness is a write channel into every other member's UI.
        if (this.access !== 'read-write' || !this.takeAwarenessToken()) {
          this.dropped++;
          return;
        }
        const refused = this.room.applyAwareness(this, message.entries);
        if (refused.length > 0) {
          this.log(`awareness of client ids ${refused.map((e) => e.clientId).join(', ')} refused for user ${this.principal.userId} on ${this.room.name}`);
        }
        return;
      }
      case 'query-awareness': {
        const awareness = this.room.awarenessFrame();
        if (awareness !== null) this.send(awareness);
        return;
      }
      case 'auth':
        return;
    }
  }

  /**
   * Queues a frame. A reader that does not keep up would otherwise hold an unbounded queue in server
   * memory, but a queue over the soft bound alone proves nothing: the writer may simply not have let
   * the event loop run I/O yet (a burst of commits in one turn), or the reader is slow but reading.
   * So the rule is:
   * - over the soft bound (maxBufferedBytes) the connection is watched: over each stallWindowMs,
   *   counted from a turn where the event loop was free to run I/O, it must get bytes out (a write
   *   completed, or the write in progress shrank: the test Node's own socket timeout uses), or it is
   *   stalled and closed with 1013;
   * - a frame that would take the queue past the hard bound closes it with 1013 at once, whatever the
   *   progress: that bound is what one connection may cost in memory.
   * A reader that keeps reading is never shed below the hard bound.
   */
  send(frame: Uint8Array): void {
    if (this.closed) return;
    const buffered = this.socket.bufferedAmount;
    if (buffered > this.limits.maxBufferedBytes && buffered + frame.length > this.limits.hardMaxBufferedBytes) {
      this.close(CloseCode.TryAgain, 'client too slow');
      return;
    }
    try {
      this.socket.send(frame);
    } catch (error) {
      this.log(`send failed on ${this.room.name}: ${String(error)}`);
      this.close(CloseCode.TryAgain, 'send failed');
      return;
    }
    this.bytesQueued += framedLength(frame.length);
    if (!this.watched && this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.watched = true;
      // The window starts once this turn's work is done: a writer's burst is not the reader's time.
      setImmediate(() => this.startStallWindow());
    }
  }

  /** Outbound bytes queued in server memory for this socket. */
  get queuedBytes(): number {
    return this.socket.bufferedAmount;
  }

  /** `completed` only grows; `unsentOfCurrentWrite` shrinks while one write is in progress. */
  private progress(): { completed: number; unsentOfCurrentWrite: number } {
    return { completed: this.bytesQueued - this.socket.bufferedAmount, unsentOfCurrentWrite: this.socket.unsentOfCurrentWrite };
  }

  private startStallWindow(): void {
    if (this.closed) return;
    this.lastCheck = this.progress();
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      // Timers run before the poll phase of their loop turn. If something kept the loop busy through
      // the window, the socket had no chance to drain: give it three turns of I/O (the kernel reports
      // it writable, the write, the write's completion reported) before judging.
      setImmediate(() => setImmediate(() => setImmediate(() => this.checkStall())));
    }, this.limits.stallWindowMs);
    this.stallTimer.unref();
  }

  private checkStall(): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount <= this.limits.maxBufferedBytes) {
      this.watched = false;
      return;
    }
    const now = this.progress();
    // Another write starts only when one completes, so with `completed` unchanged the same write is
    // in progress and a smaller remainder is progress.
    const moved = now.completed > this.lastCheck.completed || now.unsentOfCurrentWrite < this.lastCheck.unsentOfCurrentWrite;
    if (!moved) {
      this.close(CloseCode.TryAgain, 'client too slow');
      return;
    }
    this.startStallWindow();
  }

  /** Closes the socket and leaves the room at once (no more frames are processed). Idempotent. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    try {
      this.socket.close(code, reason);
    } catch (error) {
      this.log(`close failed on ${this.room.name}: ${String(error)}`);
    }
    this.room.leave(this);
    this.onClose(this);
  }

  refuseTextFrame(): void {
    if (!this.closed) this.refuse(new MalformedFrameError('text frame (the protocol is binary)'));
  }

  private refuse(error: unknown): void {
    this.log(`bad frame from user ${this.principal.userId} on ${this.room.name}: ${error instanceof Error ? error.message : String(error)}`);
    this.close(CloseCode.BadFrame, 'bad frame');
  }

  private takeAwarenessToken(): boolean {
    const now = Date.now();
    const refill = ((now - this.awarenessRefilledAt) / 1000) * this.limits.awarenessPerSecond;
    this.awarenessTokens = Math.min(this.limits.awarenessBurst, this.awarenessTokens + refill);
    this.awarenessRefilledAt = now;
    if (this.awarenessTokens < 1) return false;
    this.awarenessTokens -= 1;
    return true;
  }
}

/** A server's WebSocket frame as written: the payload and its 2, 4 or 10 byte header (RFC 6455 §5.2). */
function framedLength(payload: number): number {
  return payload + (payload > 0xffff ? 10 : payload > 125 ? 4 : 2);
}
