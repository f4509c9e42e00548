// The event-loop turn as the sync core batches by it. Frames that arrive together are read in one
// poll phase; `setImmediate` runs right after it (the check phase), before the loop waits for I/O
// again. Work deferred to the end of the turn therefore waits only for the other frames already
// read, never for new I/O: the commit queue groups what arrived in one turn into one transaction,
// and sockets that are sent several frames in one turn write them in one system call.
//
// One setImmediate per turn serves every caller, and callbacks run in the order they were asked
// for; one added while the end of a turn runs (a grouped commit forwarding to a corked socket) runs
// in the same pass, so nothing deferred waits for another loop iteration.

let turn = 0;
let scheduled = false;
const pending: Array<() => void> = [];

/** The number of the current turn; marks the turn as in use so that it ends (and the number moves on). */
export function currentTurn(): number {
  if (!scheduled) schedule();
  return turn;
}

/** Runs `fn` at the end of this turn, after the callbacks asked for before it. */
export function atEndOfTurn(fn: () => void): void {
  pending.push(fn);
  if (!scheduled) schedule();
}

function schedule(): void {
  scheduled = true;
  setImmediate(endTurn);
}

function endTurn(): void {
  // The next frame read starts a new turn, even one read while these callbacks run.
  turn++;
  scheduled = false;
  for (let i = 0; i < pending.length; i++) {
    try {
      pending[i]!();
    } catch (error) {
      // Each callback guards its own errors (the commit queue reports them); one that does not is a
      // bug, reported here, and must not cost the others their turn.
      console.error(`[sync] end-of-turn work failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
  pending.length = 0;
}
