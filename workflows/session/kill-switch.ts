/**
 * The kill switch: no new order after it starts. Open orders are cancelled at once, the placement
 * in flight is called off, and a second sweep cancels whatever it still yields. A venue that does
 * not confirm the cancels leaves the stop standing, retried every tick.
 */
import { CancellationScope, condition, log, patched, sleep } from '@temporalio/workflow';
import { ORDER_RETRY_INTERVAL_MS } from '../../domain/order-timing';
import { UNATTRIBUTED_ISOLATION } from '../../domain/session-machine';
import type { StopReport, StopRequest, StopResult } from '../../contracts/session';
import type { SessionRun } from './run';

/** One stop per stop id: the Signal and the Update of one kill switch share it. */
export function stopOnce(run: SessionRun, req: StopRequest): Promise<StopResult> {
  const id = req.stopId;
  if (!id) return runStop(run, req);
  const running = run.stopsInFlight.get(id);
  if (running) return running;
  const last = run.kept.lastStop;
  if (last?.stopId === id && !last.cancelPending) return Promise.resolve({ ...last, status: run.status() });
  const p = runStop(run, req);
  run.stopsInFlight.set(id, p);
  void p.then(
    () => run.stopsInFlight.delete(id),
    () => run.stopsInFlight.delete(id),
  );
  return p;
}

async function runStop(run: SessionRun, req: StopRequest): Promise<StopResult> {
  run.applyNow({ type: 'stop' });
  // Runs from before this change waited for placements in flight before cancelling (minutes in a venue outage).
  const atOnce = patched('stop-without-waiting-for-placements');
  const inFlight = run.placing > 0;
  if (atOnce) run.placementScope?.cancel();
  // Runs from before this change woke the loop here, so its snapshot raced the cancels;
  // now the session looks at the account again once the venue has confirmed them.
  const observeAfterCancel = patched('stop-observes-after-cancel');
  if (!observeAfterCancel) run.wake = true;
  let cancelled: StopReport['cancelled'];
  try {
    cancelled = await run.cancelEverything(req.by, `kill switch: ${req.reason}`, !atOnce);
  } catch (err) {
    // The venue is down: the stop stands, and every tick tries the cancels again until the venue confirms.
    if (patched('stop-retries-cancels')) {
      run.kept.lastStop = { session: run.session, cancelled: [], stoppedAt: run.nowIso(), stopId: req.stopId, cancelPending: true };
      run.applyNow({ type: 'cancels_unconfirmed', stop: req });
    }
    // A venue refusing the cancels (down, or refusing the desk's IP) must not leave a SEV-1's isolation undone.
    if (req.isolate && patched('isolate-when-cancels-fail')) isolate(run, req);
    throw err;
  }
  run.kept.lastStop = { session: run.session, cancelled, stoppedAt: run.nowIso(), ...(req.stopId ? { stopId: req.stopId } : {}) };
  if (atOnce && inFlight) void secondSweep(run, req).catch((err) => log.error('second sweep failed', { err: String(err) }));
  if (req.isolate) isolate(run, req);
  if (observeAfterCancel) run.wake = true;
  await run.sessionEvent('stopped', `by ${req.by}: ${req.reason}; cancelled ${cancelled.length}`);
  return { ...run.kept.lastStop, status: run.status() };
}

function isolate(run: SessionRun, req: StopRequest): void {
  const attributed = patched('isolation-owned-by-incident');
  run.applyNow({ type: 'isolate', incident: req.incidentId ?? UNATTRIBUTED_ISOLATION, reason: req.reason, attributed });
}

/**
 * After a stop that found a placement in flight: once it has settled and every request it may have
 * sent is past its venue window (domain/order-timing.ts), cancel again whatever it left at the venue.
 */
async function secondSweep(run: SessionRun, req: StopRequest): Promise<void> {
  run.sweeping += 1;
  try {
    await CancellationScope.nonCancellable(async () => {
      await condition(() => run.placing === 0);
      await sleep(ORDER_RETRY_INTERVAL_MS);
      const late = await run.cancelEverything(req.by, `kill switch (second sweep): ${req.reason}`, false);
      const last = run.kept.lastStop;
      if (last) run.kept.lastStop = { ...last, cancelled: [...last.cancelled, ...late] };
      await run.sessionEvent('stop_second_sweep', `by ${req.by}: cancelled ${late.length} order(s) a placement in flight left`);
    });
  } finally {
    run.sweeping -= 1;
  }
}

/** A stop the venue did not confirm: cancel again; the stop's report gains what this round cancelled. */
export async function retryPendingCancels(run: SessionRun, req: StopRequest): Promise<void> {
  try {
    const late = await run.cancelEverything(req.by, `kill switch (retry): ${req.reason}`, false);
    run.applyNow({ type: 'cancels_confirmed' });
    const last = run.kept.lastStop;
    run.kept.lastStop = { session: run.session, stoppedAt: run.nowIso(), ...last, cancelled: [...(last?.cancelled ?? []), ...late], cancelPending: false };
    await run.sessionEvent('stop_cancels_confirmed', `by ${req.by}: the venue answered; cancelled ${late.length} order(s)`);
  } catch (err) {
    log.warn('stop: the venue still does not confirm the cancels', { err: String(err) });
  }
}
