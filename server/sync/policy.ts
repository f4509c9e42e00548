// Who may open which document, and how (contract §3). One pure function, tested as a table in
// test/sync/policy.test.ts; the sync server calls it at connect time and on every recheck.
import { parseDocumentName, SYSTEM_USER_ID } from '../../shared/protocol.js';
import type { Principal } from '../auth/principal.js';

export type Access = 'read-write' | 'read-only' | 'none';

export function accessFor(principal: Principal | null, document: string, opts: { multiuser: boolean }): Access {
  if (principal === null) return 'none';
  const parsed = parseDocumentName(document);
  if (parsed === null) return 'none';
  // `public` is written only by the server (publishing), never over a socket.
  if (parsed.kind === 'public') return 'read-only';
  if (!opts.multiuser) return parsed.userId === SYSTEM_USER_ID ? 'read-write' : 'none';
  if (parsed.userId === principal.userId || principal.isAdmin) return 'read-write';
  return 'none';
}
