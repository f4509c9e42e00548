// What the server said when it could not store this device's changes (contract §3): its storage is
// full (1013 'storage full', the socket reconnects by itself) or the user's library is over its
// storage quota (4429, final until space is freed). Either way the changes stay on this device.
import { CloseCode } from '../../shared/protocol.js';

export type StorageProblem = { kind: 'full' } | { kind: 'quota'; usedBytes: number; limitBytes: number };

/** The problem a socket close reports, or null when the close is about something else. */
export function storageProblemOf(code: number, reason: string): StorageProblem | null {
  if (code === CloseCode.QuotaExceeded) {
    const numbers = /(\d+) of (\d+) bytes/.exec(reason);
    return { kind: 'quota', usedBytes: Number(numbers?.[1] ?? 0), limitBytes: Number(numbers?.[2] ?? 0) };
  }
  if (code === CloseCode.TryAgain && reason === 'storage full') return { kind: 'full' };
  return null;
}

function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

/** One sentence for the banner: what happened, that nothing is lost, and what to do. */
export function storageProblemMessage(problem: StorageProblem): string {
  if (problem.kind === 'full') {
    return "The server's storage is full: your changes stay on this device and are sent once space returns.";
  }
  const amounts = problem.limitBytes > 0 ? ` (${megabytes(problem.usedBytes)} of ${megabytes(problem.limitBytes)} MB)` : '';
  return `Your library is over its storage quota${amounts}: changes stay on this device; delete workflows to free space.`;
}
