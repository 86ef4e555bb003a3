/**
 * Every top-level command, the module group that implements it and its one-line
 * summary. `warden --help` prints this table without loading any command
 * module; running a command loads only its group. The modules take their
 * summaries from here, so the two cannot disagree.
 */
export type CommandGroup = 'alerts' | 'audit' | 'bot' | 'desk' | 'operate' | 'incident' | 'security' | 'session' | 'sim' | 'tools';

export const COMMANDS = {
  alerts: { group: 'alerts', summary: 'the alert channels (log, Telegram, PagerDuty, email): `alerts test` delivers a test alert on each' },
  audit: { group: 'audit', summary: 'the tamper-evident audit trail (S3 Object Lock in production, the local spool on paper)' },
  bot: { group: 'bot', summary: 'run the Telegram operator bot (commands: /status /stop /resume /pause /balance /pnl /rebalances /approve /reject /incidents /help)' },
  dev: { group: 'desk', summary: 'run the paper desk locally: Temporal dev server with Web UI, worker, desk workflow (what `npm start` runs)' },
  worker: { group: 'desk', summary: 'run a desk worker against the configured Temporal (run two for failover)' },
  config: { group: 'desk', summary: 'validate the config file and print it with defaults applied' },
  status: { group: 'desk', summary: "show the desk workflow's status" },
  stop: { group: 'operate', summary: 'KILL SWITCH: stop every trading session and cancel all open orders now (no confirmation)' },
  pause: { group: 'operate', summary: 'pause new orders on every session (open orders stay)' },
  resume: { group: 'operate', summary: 'resume trading on every session and re-arm open circuit breakers' },
  sessions: { group: 'operate', summary: 'status of every trading session' },
  balance: { group: 'operate', summary: 'balances per session' },
  pnl: { group: 'operate', summary: 'portfolio value, daily P&L and drawdown per session' },
  rebalances: { group: 'operate', summary: 'manual cold -> warm transfers: waiting, confirming, done' },
  approve: { group: 'operate', summary: 'confirm the cold -> warm transfer you made by hand (the desk then checks the balance)' },
  reject: { group: 'operate', summary: 'reject a rebalance request' },
  incidents: { group: 'operate', summary: 'open incidents' },
  incident: { group: 'incident', summary: 'declare or acknowledge an incident (seed section 7)' },
  keys: { group: 'security', summary: 'API-key security (guide section 2)' },
  secrets: { group: 'security', summary: 'exchange credentials in the secrets store' },
  rotation: { group: 'security', summary: "answer a running credential rotation's questions" },
  schedules: { group: 'security', summary: 'the daily security schedules in Temporal (key-audit, rotation-check)' },
  preflight: { group: 'security', summary: "evaluate the guide's production security checklist (33 items); exits 1 when an automated item fails" },
  session: { group: 'session', summary: "the trading sessions (one per exchange account)" },
  sim: { group: 'sim', summary: 'run the local exchange simulator (binance, okx, bybit REST on one port) with funded paper keys' },
  "temporal-cli": { group: 'tools', summary: 'find or fetch the pinned Temporal CLI (what npm start and the tests use) and print its path last' },
} as const satisfies Record<string, { group: CommandGroup; summary: string }>;

export type CommandName = keyof typeof COMMANDS;

export function summary(name: CommandName): string {
  return COMMANDS[name].summary;
}
