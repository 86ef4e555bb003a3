/**
 * The incident workflow's history in the Temporal Web UI is the incident
 * timeline (workflows/incident.ts). This drives one SEV-2 incident through the
 * runbook on a real dev server WITH the UI, then reads the UI in Debian's
 * headless Chromium: the phase summaries must be on the timeline in runbook
 * order, the static summary on User Metadata, and the list must filter on
 * IncidentSeverity. Screenshots land in test-artifacts/ for a human to read.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenConfig } from '../config/schema';
import { IncidentControl } from '../clients/incident-control';
import { acknowledgeUpdate, approveResumeUpdate, falsePositiveUpdate, incidentStatusQuery, recordFindingsUpdate, type IncidentStatus } from '../contracts/incident';
import { artifactPath, launchChromium, requireChromium, startUiTemporal, type UiTemporal } from './helpers/browser';
import { waitFor } from './helpers/wait';

/** The SPA renders after several API round trips; generous, but every wait is on a condition. */
const UI_TIMEOUT = 30_000;

const SUMMARY = 'daily loss limit hit on binance/main';

/** What workflows/incident.ts names its steps, in the order the runbook takes them. */
const RUNBOOK = [
  'Detection: alert every channel',
  'Containment: stop all sessions, cancel orders',
  'Detection: wait for acknowledgement (1 s)',
  'Escalate (1)',
  'Investigation: collect evidence',
  'Investigation: ask for findings',
  'Investigation: wait for findings (2 h)',
  'Recovery: reconcile positions and balances',
  'Recovery: ask to resume',
  'Recovery: wait for resume approval',
  'Recovery: resume trading',
  'Write post-incident report (WORM)',
];

let t: UiTemporal;
let browser: Browser | undefined;
const stopped: string[][] = [];
const resumed: string[] = [];

beforeAll(async () => {
  // First, so a machine without the browser fails fast with the fix (never a skip).
  requireChromium();
  t = await startUiTemporal();
  await t.startWorker({
    sessionControl: {
      stop: async (sessions) => {
        stopped.push(sessions);
        return [];
      },
      resume: async (_sessions, by) => {
        resumed.push(by);
        return [];
      },
      status: async () => [],
    },
  });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** Summaries of the timers the workflow has started so far, read from its history. */
async function timerSummaries(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.timerStartedEventAttributes)
    .map((e) => e.userMetadata?.summary?.data)
    .filter((d): d is Uint8Array => !!d)
    .map((d) => JSON.parse(Buffer.from(d).toString('utf8')) as string);
}

/** Playwright's own wait: polls until the element is rendered and visible. */
async function visible(locator: Locator): Promise<Locator> {
  await locator.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  return locator;
}

/**
 * User Metadata renders each markdown field (summary, details, current details)
 * in its own sandboxed iframe titled "output", so page-level text search can't
 * see them: look inside every such frame.
 */
async function visibleInMarkdown(page: Page, text: string | RegExp): Promise<void> {
  const frames = page.locator('iframe[title="output"]');
  await visible(frames.first());
  const n = await frames.count();
  await Promise.any(Array.from({ length: n }, (_, i) => visible(frames.nth(i).contentFrame().getByText(text).first()))).catch(() => {
    throw new Error(`"${String(text)}" is in none of the ${n} markdown panes of the User Metadata tab`);
  });
}

/**
 * The UI scrolls inside #content-wrapper (a screen-high div), so Playwright's
 * fullPage screenshot would only show the viewport: grow the viewport to the
 * content first.
 */
async function screenshotWhole(page: Page, name: string): Promise<string> {
  const height = await page.locator('#content-wrapper').evaluate((e) => e.scrollHeight);
  await page.setViewportSize({ width: page.viewportSize()?.width ?? 1600, height: Math.min(Math.max(height, 800), 8000) });
  const path = artifactPath(name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

describe('incident timeline in the Temporal Web UI', () => {
  it('shows the runbook phases as summaries on the timeline, the static summary, and filters by IncidentSeverity', async () => {
    const config = WardenConfig.parse({
      profile: 'paper',
      temporal: { address: t.server.address, taskQueue: t.taskQueue },
      // Short enough that nobody acknowledges in time and one escalation happens.
      incidents: { ackTimeoutSeconds: 1 },
    });
    const incidents = new IncidentControl(t.client, config);
    // The decoy waits for its acknowledgement the default 5 min: with the 1 s wait it would run out of
    // escalations and leave detection on a loaded machine before the test closes it as a false positive.
    const decoyIncidents = new IncidentControl(t.client, { ...config, incidents: { ...config.incidents, ackTimeoutSeconds: 300 } });

    // A SEV-3 next to it, so the severity filter has something to leave out.
    const decoy = await decoyIncidents.open({ cause: 'ui:decoy', severity: 'SEV-3', summary: 'latency spike', sessions: ['binance/none'], declaredBy: 'test' }, 'decoy');
    const id = await incidents.open({ cause: 'ui:daily-loss', severity: 'SEV-2', summary: SUMMARY, sessions: [], declaredBy: 'test' }, 'daily P&L -6%');
    const handle = t.client.workflow.getHandle(id);
    const status = () => handle.query(incidentStatusQuery);

    // Detection: SEV-2 contains at once, then escalates while nobody acknowledges.
    await waitFor(status, (s) => s.timeline.some((e) => e.event.includes('escalation 1')), 20_000, 'first escalation');
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ by: 'tg:42' }] });

    // Investigation: record findings only once the workflow waits for them, so that wait is on the timeline.
    await waitFor(() => timerSummaries(handle), (s) => s.includes('Investigation: wait for findings (2 h)'), 20_000, 'findings wait');
    await handle.executeUpdate(recordFindingsUpdate, {
      args: [{ by: 'tg:42', findings: 'loss came from one runaway grid', rootCause: 'grid bounds set too wide', keysCompromised: false }],
    });

    // Recovery: approve once it asks.
    await waitFor(() => timerSummaries(handle), (s) => s.includes('Recovery: wait for resume approval'), 20_000, 'resume approval wait');
    expect((await status()).phase).toBe('recovery');
    await handle.executeUpdate(approveResumeUpdate, { args: [{ by: 'tg:42', reason: 'bounds fixed' }] });
    const final = (await handle.result()) as IncidentStatus;
    expect(final.phase).toBe('closed');
    expect(stopped).toEqual([[]]);
    expect(resumed).toEqual(['tg:42']);
    const { runId } = await handle.describe();

    // The list reads visibility, which lags the history a little: wait until both incidents are searchable.
    await waitFor(
      async () => {
        const ids: string[] = [];
        for await (const wf of t.client.workflow.list({ query: `IncidentSeverity IS NOT NULL` })) ids.push(wf.workflowId);
        return ids;
      },
      (ids) => ids.includes(id) && ids.includes(decoy),
      20_000,
      'incidents in visibility',
    );

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const ui = `${t.uiUrl}/namespaces/${t.server.namespace}/workflows`;

    // ---- The timeline tab (UI 2.54): the graph, newest-first by default -------------------
    // Shown oldest-first so it reads top to bottom like the runbook.
    await page.goto(`${ui}/${encodeURIComponent(id)}/${runId}/timeline`);
    expect(await (await visible(page.getByTestId('workflow-id-heading'))).innerText()).toContain(id);
    await (await visible(page.getByRole('button', { name: 'Descending' }))).click();
    await visible(page.getByRole('button', { name: 'Ascending' }));
    // The timeline renders only the rows in view: grow the viewport to the whole page first.
    await visible(page.locator('#event-history-timeline-graph').getByText(RUNBOOK[0]!).first());
    await screenshotWhole(page, 'incident-timeline.png');

    const graph = page.locator('#event-history-timeline-graph');
    const rows: number[] = [];
    for (const step of RUNBOOK) {
      // Activities render as "<type> • <summary>", timers as the summary alone (HTML labels since
      // UI 2.54, SVG text before); .first(): the acknowledgement wait can repeat.
      const label = await visible(graph.getByText(step).first());
      rows.push((await label.boundingBox())?.y ?? Number.NaN);
    }
    // Runbook order top to bottom. Two steps can share a row when they overlap in time, so compare phases,
    // each at its first step.
    const firstOf = (prefix: string) => rows[RUNBOOK.findIndex((s) => s.startsWith(prefix))]!;
    expect(firstOf('Detection')).toBeLessThan(firstOf('Containment'));
    expect(firstOf('Containment')).toBeLessThan(firstOf('Investigation'));
    expect(firstOf('Investigation')).toBeLessThan(firstOf('Recovery'));
    expect(firstOf('Recovery')).toBeLessThan(firstOf('Write post-incident report'));
    // The event history tab's compact list groups each step into one row, with the same summaries.
    await page.goto(`${ui}/${encodeURIComponent(id)}/${runId}/history`);
    await (await visible(page.getByRole('button', { name: 'Compact' }))).click();
    await visible(page.locator('table').getByText('Investigation: collect evidence', { exact: true }).first());

    // ---- User Metadata: the static summary and the live current details ---------------------
    await page.setViewportSize({ width: 1600, height: 1000 });
    await (await visible(page.getByTestId('user-metadata-tab'))).click();
    await visibleInMarkdown(page, `SEV-2: ${SUMMARY}`);
    await visibleInMarkdown(page, 'SEV-2 closed');
    await visibleInMarkdown(page, /closed: recovered/);
    await screenshotWhole(page, 'incident-metadata.png');

    // ---- The list, filtered on the custom search attribute ---------------------------------
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.goto(`${ui}?query=${encodeURIComponent('IncidentSeverity = "SEV-2"')}`);
    await visible(page.getByRole('link', { name: id, exact: true }));
    expect(await page.getByRole('link', { name: decoy, exact: true }).count()).toBe(0);
    await screenshotWhole(page, 'incident-list-sev2.png');

    // Close the decoy through its own runbook rather than terminating it mid-task.
    const decoyHandle = t.client.workflow.getHandle(decoy);
    await decoyHandle.executeUpdate(falsePositiveUpdate, { args: [{ by: 'tg:42', reason: 'test decoy' }] });
    expect(((await decoyHandle.result()) as IncidentStatus).phase).toBe('closed');
  }, 180_000);
});
