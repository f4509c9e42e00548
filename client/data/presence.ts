// Who else has a workflow open (HISTORY design, "Devices"): every editor tab puts
// `{ user: { id, name }, device: { id, label }, workflow, selection }` into the awareness of the library
// document the workflow lives in; the library screen counts the devices per workflow. Awareness comes
// from other clients, so every state is read defensively (a malformed one is ignored) and bounded.
// Only library documents carry presence: `public`'s awareness stays empty (synced-doc.ts), and the
// server relays a library's awareness only to those who may open that library.
import type { Awareness } from 'y-protocols/awareness';
import { isPlainObject } from '../../shared/workflow/json.js';
import type { Device } from './devices.js';

export interface PresenceState {
  user: { id: string; name: string };
  device: { id: string; label: string };
  /** the workflow open in the editor, or null (the library, another screen) */
  workflow: string | null;
  /** ids of the nodes selected on the canvas */
  selection: string[];
}

export interface Peer extends PresenceState {
  clientId: number;
}

const MAX_TEXT = 200;
const MAX_SELECTION = 500;

function text(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_TEXT ? v : null;
}

/** The state if it is a well-formed presence state, else null. */
export function readPresence(value: unknown): PresenceState | null {
  if (!isPlainObject(value)) return null;
  const { user, device, workflow, selection } = value;
  if (!isPlainObject(user) || !isPlainObject(device)) return null;
  const userId = text(user['id']);
  const deviceId = text(device['id']);
  if (!userId || !deviceId) return null;
  const wf = workflow === null ? null : text(workflow);
  if (wf === null && workflow !== null) return null;
  const sel = Array.isArray(selection) ? selection.filter((s): s is string => text(s) !== null).slice(0, MAX_SELECTION) : [];
  return {
    user: { id: userId, name: text(user['name']) ?? userId },
    device: { id: deviceId, label: text(device['label']) ?? 'Unknown device' },
    workflow: wf,
    selection: sel,
  };
}

/** "Alice Smith" → "AS", "bob" → "B". */
export function initials(name: string): string {
  const parts = name.trim().split(/[\s@._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts.at(-1)?.[0] ?? '') : '')).toUpperCase();
}

/** Every other client's presence in this awareness (this tab's own left out). */
export function peers(awareness: Awareness): Peer[] {
  const out: Peer[] = [];
  for (const [clientId, state] of awareness.getStates()) {
    if (clientId === awareness.clientID) continue;
    const p = readPresence(state);
    if (p) out.push({ clientId, ...p });
  }
  return out.sort((a, b) => a.clientId - b.clientId);
}

/** The other clients with `workflowId` open. */
export function peersOn(awareness: Awareness, workflowId: string): Peer[] {
  return peers(awareness).filter((p) => p.workflow === workflowId);
}

/** How many devices (other tabs of this one count as this device) have each workflow open, this tab left out. */
export function openCounts(awareness: Awareness): Map<string, number> {
  const devices = new Map<string, Set<string>>();
  for (const p of peers(awareness)) {
    if (!p.workflow) continue;
    let set = devices.get(p.workflow);
    if (!set) devices.set(p.workflow, (set = new Set()));
    set.add(p.device.id);
  }
  return new Map([...devices].map(([id, set]) => [id, set.size]));
}

/** Announces what this tab has open; `null` workflow says it has none open. */
export function announce(
  awareness: Awareness,
  who: { user: { id: string; name: string }; device: Device },
  workflow: string | null,
  selection: readonly string[] = [],
): void {
  const next: PresenceState = { user: who.user, device: { id: who.device.id, label: who.device.label }, workflow, selection: [...selection] };
  const prev = readPresence(awareness.getLocalState());
  if (prev && JSON.stringify(prev) === JSON.stringify(next)) return;
  awareness.setLocalState(next);
}
