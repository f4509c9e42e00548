// Click-to-connect: an output handle chosen, waiting for an input handle.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export interface PendingConnection {
  source: string;
  sourceHandle: string;
}

export interface NewEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

export class ConnectController implements ReactiveController {
  pending: PendingConnection | null = null;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  start(source: string, sourceHandle: string): void {
    this.pending = { source, sourceHandle };
    this.host.requestUpdate();
  }

  cancel(): void {
    if (!this.pending) return;
    this.pending = null;
    this.host.requestUpdate();
  }

  /** The edge from the pending output to this input, or null (nothing pending, or a self-loop). */
  complete(target: string, targetHandle: string): NewEdge | null {
    const p = this.pending;
    if (!p || p.source === target) return null;
    this.cancel();
    return { id: `reactflow__edge-${p.source}${p.sourceHandle}-${target}${targetHandle}`, ...p, target, targetHandle };
  }
}
