import { WorkflowIdConflictPolicy, type Client, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { ExchangeAccountConfig, WardenConfig } from '../config/schema';
import { sessionWorkflowId, sessionWorkflowType, type SessionInput, type TradingSessionWorkflow } from '../contracts/session';

/**
 * Starts the session for an account, or attaches to the one already running:
 * a session is a singleton per exchange account.
 */
export async function startSession(client: Client, taskQueue: string, input: SessionInput): Promise<WorkflowHandleWithFirstExecutionRunId<TradingSessionWorkflow>> {
  // By type name: the CLI starts sessions too, and loads no workflow code.
  return client.workflow.start<TradingSessionWorkflow>(sessionWorkflowType, {
    taskQueue,
    workflowId: sessionWorkflowId(input.exchange, input.account),
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: `Trading session ${input.exchange}/${input.account} (${input.strategy.kind})`,
  });
}

/** The session an account's config describes; undefined when the account has no strategy (watched, not traded). */
export function sessionInputFor(config: WardenConfig, account: ExchangeAccountConfig): SessionInput | undefined {
  if (!account.strategy) return undefined;
  return {
    exchange: account.exchange,
    account: account.account,
    symbols: account.symbols,
    strategy: account.strategy,
    risk: config.risk,
    tickSeconds: config.sessions.tickSeconds,
    failureThreshold: config.sessions.failureThreshold,
    maxTicksPerRun: config.sessions.maxTicksPerRun,
    ...(config.sessions.deadMansSwitchSeconds ? { deadMansSwitchSeconds: config.sessions.deadMansSwitchSeconds } : {}),
    ...(config.wallets
      ? {
          rebalance: {
            coldUsd: config.wallets.coldUsd,
            hotUsd: config.wallets.hotUsd,
            operators: [...(config.telegram?.operatorIds ?? []).map((id) => `tg:${id}`), ...config.wallets.cliOperators.map((u) => `cli:${u}`)],
          },
        }
      : {}),
  };
}

/** Starts (or attaches to) a session for every configured account that has a strategy. */
export async function startConfiguredSessions(client: Client, config: WardenConfig): Promise<string[]> {
  const ids: string[] = [];
  for (const account of config.exchanges) {
    const input = sessionInputFor(config, account);
    if (!input) continue;
    const handle = await startSession(client, config.temporal.taskQueue, input);
    ids.push(handle.workflowId);
  }
  return ids;
}
