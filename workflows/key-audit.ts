/**
 * The daily API-key audit (seed section 2, "Security Validation Script"): ask
 * every configured account's venue what its keys may do, record each finding,
 * and alert on anything short of OK, as CRITICAL when a key can move funds.
 * Each account's result is signalled to its trading session, which halts on a
 * CRITICAL one and needs a clean one to re-arm.
 * Run by the `key-audit` Temporal Schedule; one run's history is one day's audit.
 * Its input and report are contracts/key-audit.ts's (the result it signals, contracts/session.ts's).
 */
import { getExternalWorkflowHandle, log, patched, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { DeskActivities } from '../activities';
import type { ExchangeId } from '../domain/market';
import { keyAuditResultMessage, UNAUTHORIZED_ACCESS_FINDINGS, type Finding } from '../domain/key-audit';
import { makeAlert } from '../domain/severity';
import type { AccountAudit, KeyAuditReport, KeyAuditWorkflowInput } from '../contracts/key-audit';
import { keyAuditResultSignal, sessionWorkflowId } from '../contracts/session';
import { FAILURE } from '../contracts/failures';
import { failureReason } from './failure';

const ACT: ActivityOptions = {
  startToCloseTimeout: '60 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: [FAILURE.secretFormat, FAILURE.secretNotFound, FAILURE.exchangeAuth, FAILURE.exchangeRejected] },
};
// Each call adds its timeline summary (executeWithOptions merges it into ACT).
const { auditAccountKeys, configuredAccounts, sendAlert } = proxyActivities<DeskActivities>(ACT);

export async function keyAuditWorkflow(input: KeyAuditWorkflowInput = {}): Promise<KeyAuditReport> {
  const { workflowId, runId } = workflowInfo();
  const actor = input.requestedBy ?? workflowId;
  const accounts = input.accounts ?? (await configuredAccounts.executeWithOptions({ summary: 'List configured accounts' }, []));
  const report: KeyAuditReport = { accounts: [], critical: 0, warnings: 0, failed: 0 };
  const now = () => new Date(Date.now()).toISOString();

  for (const { exchange, account } of accounts) {
    const where = `${exchange}/${account}`;
    let findings: Finding[];
    try {
      ({ findings } = await auditAccountKeys.executeWithOptions({ summary: `Audit API keys of ${where}` }, [
        { exchange, account, auditId: `${workflowId}/${runId}`, actor },
      ]));
    } catch (err) {
      // One unreadable account must not hide the others' findings: report it and go on.
      const error = failureReason(err);
      report.failed += 1;
      report.accounts.push({ exchange, account, findings: [], error });
      const alert = makeAlert('key_audit_finding', { message: `[${where}] key audit could not run: ${error}`, at: now(), scope: { exchange, account, subject: 'audit-failed' } });
      await sendAlert.executeWithOptions({ summary: `Alert: key audit failed on ${where}` }, [{ alert, actor: workflowId }]);
      continue;
    }
    const entry: AccountAudit = { exchange, account, findings };
    report.accounts.push(entry);
    // Runs started before this change only alerted; replaying them must not signal.
    if (patched('key-audit-signals-sessions')) {
      entry.sessionSignalled = await tellSession(exchange, account, keyAuditResultMessage(`${workflowId}/${runId}`, now(), findings));
    }
    for (const f of findings) {
      if (f.severity === 'OK') continue;
      if (f.severity === 'CRITICAL') report.critical += 1;
      else report.warnings += 1;
      // Evidence that someone else uses the keys (seed section 7) opens the SEV-1 on its own, running session or not.
      const alert = makeAlert(UNAUTHORIZED_ACCESS_FINDINGS.has(f.code) ? 'unauthorized_access' : 'key_audit_finding', {
        // formatAlert adds the icon and severity; the message is the guide's sentence with its account.
        message: `[${where}] ${f.message}`,
        at: now(),
        scope: { exchange, account, subject: `${f.key}-${f.code}` },
        // The catalogue's WARNING stands for whitelist findings; a key that can move funds pages at once.
        ...(f.severity === 'CRITICAL' ? { severity: 'CRITICAL' as const } : {}),
      });
      await sendAlert.executeWithOptions({ summary: `Alert ${f.severity} ${f.code} on ${where}` }, [{ alert, actor: workflowId }]);
    }
  }
  return report;
}

/**
 * Signals the account's session (durable, and no worker has to answer). A session that is not
 * running has nothing to halt, and its next start audits the key itself: the audit goes on.
 */
async function tellSession(exchange: ExchangeId, account: string, result: ReturnType<typeof keyAuditResultMessage>): Promise<boolean> {
  const session = sessionWorkflowId(exchange, account);
  try {
    await getExternalWorkflowHandle(session).signal(keyAuditResultSignal, result);
    return true;
  } catch (err) {
    log.info('key audit: session not signalled (not running)', { session, err: String(err) });
    return false;
  }
}
