/** The seed's daily report (INFO, 24 h): run by the `daily-report` Schedule. */
import { proxyActivities } from '@temporalio/workflow';
import type { DeskActivities } from '../activities';
import { makeAlert } from '../domain/severity';

const { buildDailyReport, sendAlert } = proxyActivities<DeskActivities>({ startToCloseTimeout: '60 seconds', retry: { maximumAttempts: 10, maximumInterval: '1 minute' } });

export async function dailyReportWorkflow(): Promise<string> {
  const report = await buildDailyReport();
  // Dated by the activity that read the figures (the worker's injected clock). A result
  // recorded by an older worker has no `at` and keeps workflow time, as it did.
  const at = report.at ?? new Date(Date.now()).toISOString();
  await sendAlert({ alert: makeAlert('daily_report', { message: report.text, at, scope: { subject: at.slice(0, 10) } }), actor: 'daily-report' });
  return report.text;
}
