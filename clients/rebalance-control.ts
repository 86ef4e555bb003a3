import type { Client } from '@temporalio/client';
import { confirmTransferUpdate, rebalanceStatusQuery, rebalanceWorkflowType, rejectRebalanceUpdate, type RebalanceSummary } from '../contracts/rebalance';
import type { Operator } from './desk-control';

/** Operators' side of the rebalancing procedure: list, confirm a transfer, reject. */
export class RebalanceControl {
  constructor(private readonly client: Client) {}

  async list(): Promise<RebalanceSummary[]> {
    const out: RebalanceSummary[] = [];
    for await (const wf of this.client.workflow.list({ query: `WorkflowType = '${rebalanceWorkflowType}'`, pageSize: 20 })) {
      out.push(await this.client.workflow.getHandle(wf.workflowId, wf.runId).query(rebalanceStatusQuery));
      if (out.length >= 20) break;
    }
    return out;
  }

  confirm(id: string, op: Operator, t: { amountUsd: number; reference: string }): Promise<RebalanceSummary> {
    return this.client.workflow.getHandle(id).executeUpdate(confirmTransferUpdate, { args: [{ by: op.id, amountUsd: t.amountUsd, reference: t.reference }] });
  }

  reject(id: string, op: Operator, reason: string): Promise<RebalanceSummary> {
    return this.client.workflow.getHandle(id).executeUpdate(rejectRebalanceUpdate, { args: [{ by: op.id, reason }] });
  }
}
