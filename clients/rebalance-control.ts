import type { Client } from '@temporalio/client';
import { confirmTransferUpdate, rebalanceStatusQuery, rebalanceWorkflowId, rebalanceWorkflowType, rejectRebalanceUpdate, type RebalanceSummary } from '../contracts/rebalance';
import type { Operator } from './desk-control';

/** Operators' side of the rebalancing procedure: list, confirm a transfer, reject. */
export class RebalanceControl {
  /** `accounts`: the desk's own; a namespace may hold other desks' rebalances. */
  constructor(
    private readonly client: Client,
    private readonly accounts: ReadonlyArray<{ exchange: string; account: string }>,
  ) {}

  /**
   * The desk's latest 20 rebalances, newest first. A running one answers its status query; a
   * finished one is read from its result in history, so the listing needs no worker for it
   * (a query on a closed workflow waits for a worker on its task queue).
   */
  async list(): Promise<RebalanceSummary[]> {
    const prefixes = this.accounts.map((a) => `${rebalanceWorkflowId(a.exchange, a.account)}/`);
    const out: RebalanceSummary[] = [];
    for await (const wf of this.client.workflow.list({ query: `WorkflowType = '${rebalanceWorkflowType}'`, pageSize: 50 })) {
      if (!prefixes.some((p) => wf.workflowId.startsWith(p))) continue;
      const handle = this.client.workflow.getHandle(wf.workflowId, wf.runId);
      if (wf.status.name === 'RUNNING') out.push(await handle.query(rebalanceStatusQuery));
      else if (wf.status.name === 'COMPLETED') out.push((await handle.result()) as RebalanceSummary);
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
