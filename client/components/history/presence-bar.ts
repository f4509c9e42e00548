/**
 * fs-presence-bar: who else has this workflow open (data/presence.ts), one round badge with initials
 * per device, named in full with the device for the tooltip and for screen readers.
 * Properties: peers (the other clients on this workflow), deviceId (this device: its other tabs say so).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { initials, type Peer } from '../../data/presence.js';
import { colourFor } from '../graph/graph-marks.js';

/** One entry per device (several tabs of one device are one presence), the first tab's state kept. */
export function byDevice(peers: readonly Peer[]): Peer[] {
  const seen = new Map<string, Peer>();
  for (const p of peers) if (!seen.has(p.device.id)) seen.set(p.device.id, p);
  return [...seen.values()];
}

export function peerName(p: Peer, ownDeviceId: string): string {
  return `${p.user.name} on ${p.device.id === ownDeviceId ? 'this device (another tab)' : p.device.label}`;
}

@customElement('fs-presence-bar')
export class PresenceBar extends LitElement {
  static override styles = css`
    :host {
      display: inline-flex;
    }
    ul {
      display: flex;
      gap: 0.2rem;
      list-style: none;
      margin: 0;
      padding: 0;
    }
    li {
      width: 1.9rem;
      height: 1.9rem;
      border-radius: 50%;
      display: grid;
      place-items: center;
      color: #fff;
      font-size: 0.75rem;
      font-weight: 700;
    }
  `;

  @property({ attribute: false }) accessor peers: readonly Peer[] = [];
  @property() accessor deviceId = '';

  override render() {
    const devices = byDevice(this.peers);
    if (devices.length === 0) return nothing;
    return html`<ul aria-label="Also open on">
      ${devices.map(
        (p) => html`<li style="background:${colourFor(p.device.id)}" title=${peerName(p, this.deviceId)} aria-label=${peerName(p, this.deviceId)}
          data-device=${p.device.id}>${initials(p.user.name)}</li>`,
      )}
    </ul>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'fs-presence-bar': PresenceBar;
  }
}
