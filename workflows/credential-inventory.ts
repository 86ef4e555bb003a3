/**
 * Reads what the desk knows about each configured credential (permissions,
 * whitelist, age, a key fingerprint) and records it in the audit trail. The
 * values themselves stay inside the activity: only metadata enters history.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { CredentialInfo, DeskActivities } from '../activities';
import type { ExchangeId } from '../domain/market';
import { FAILURE } from '../contracts/failures';

export interface InventoryInput {
  accounts: Array<{ exchange: ExchangeId; account: string; purposes: Array<'trading' | 'monitoring'> }>;
  requestedBy: string;
}

const { describeCredential, recordAudit } = proxyActivities<DeskActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: [FAILURE.secretFormat, FAILURE.secretNotFound] },
});

export async function credentialInventoryWorkflow(input: InventoryInput): Promise<CredentialInfo[]> {
  const found: CredentialInfo[] = [];
  const { workflowId } = workflowInfo();
  for (const { exchange, account, purposes } of input.accounts) {
    for (const purpose of purposes) {
      const info = await describeCredential({ exchange, account, purpose });
      found.push(info);
      await recordAudit({
        id: `${workflowId}/inventory/${exchange}/${account}/${purpose}`,
        type: 'session_event',
        actor: input.requestedBy,
        data: { session: `${exchange}/${account}`, event: 'credential_inventory', detail: `${purpose} key ${info.keyFingerprint} created ${info.createdAt}` },
      });
    }
  }
  return found;
}
