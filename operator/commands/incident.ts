import type { Command } from 'commander';
import { idArg } from '../../domain/operator-input';
import type { CliContext } from '../cli';
import type { CoreCommandName, IncidentRunbook } from '../core/commands';
import { renderIncidentReport } from '../../activities/incident-report';
import { connectClient } from '../../clients/connect';
import { IncidentControl } from '../../clients/incident-control';
import { check, runCore, type Flags } from './run-core';

const FLAGS: Flags = {
  id: '<id>',
  reason: '--reason',
  findings: '--findings',
  rootCause: '--root-cause',
  actions: '--action',
  prevention: '--prevention',
  lessons: '--lessons',
  keysCompromised: '--keys-compromised',
};

/**
 * Adds the runbook's operator steps to the `incident` command (declare and ack
 * come with the operator commands): status, report, and the core's
 * false-positive, contain, findings, resume. `incidents` is opened only when a
 * step runs (the Temporal-backed control by default).
 */
export function registerIncidentCommands(program: Command, ctx: CliContext, incidents?: () => Promise<IncidentRunbook>): void {
  const incident = program.commands.find((c) => c.name() === 'incident') ?? program.command('incident');
  const openIncidents =
    incidents ??
    (async () => {
      const { config } = ctx.config();
      const client = await connectClient(config.temporal);
      return Object.assign(new IncidentControl(client, config), { close: () => client.connection.close() });
    });
  const step = (cmd: Command, name: CoreCommandName, raw: Record<string, unknown>) => runCore(ctx, cmd, { incidents: openIncidents }, name, raw, { flags: FLAGS });
  const withIncidents = async <T>(fn: (c: IncidentControl) => Promise<T>): Promise<T> => {
    const { config } = ctx.config();
    const client = await connectClient(config.temporal);
    try {
      return await fn(new IncidentControl(client, config));
    } finally {
      await client.connection.close();
    }
  };
  incident
    .command('status')
    .argument('<id>', 'incident id', check(idArg, '<id>'))
    .description("an incident's phase, severity and timeline")
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) =>
      withIncidents(async (c) => {
        const st = await c.status(id);
        if (opts.json) return ctx.out(JSON.stringify(st));
        ctx.out(`${st.id}: ${st.severity}, ${st.phase}${st.acknowledgedBy ? `, acknowledged by ${st.acknowledgedBy}` : ', NOT acknowledged'}: ${st.summary}`);
        for (const t of st.timeline) ctx.out(`  ${t.at.slice(11, 19)} [${t.phase}] ${t.event}`);
      }),
    );
  incident
    .command('report')
    .argument('<id>', 'incident id', check(idArg, '<id>'))
    .description('the post-incident report (the seed template), as it stands now')
    .action((id: string) =>
      withIncidents(async (c) => {
        const st = await c.status(id);
        ctx.out(st.reportKey ? `# written to ${st.reportKey}\n` : '# draft: the incident is still open\n');
        ctx.out(renderIncidentReport(st, new Date().toISOString()));
      }),
    );
  incident
    .command('false-positive')
    .argument('<id>', 'incident id')
    .description('close an incident still in detection as a false positive (audited)')
    .requiredOption('--reason <text>', 'why it is not real')
    .action((id: string, o: { reason: string }, cmd: Command) => step(cmd, 'incident false-positive', { id, reason: o.reason }));
  incident
    .command('contain')
    .argument('<id>', 'incident id')
    .description('answer a proposed containment (SEV-3/4): stop the affected sessions, or decline')
    .option('--decline', 'do not stop the sessions')
    .action((id: string, o: { decline?: boolean }, cmd: Command) => step(cmd, 'incident contain', { id, approve: !o.decline }));
  incident
    .command('findings')
    .argument('<id>', 'incident id')
    .description('record the investigation: findings and root cause')
    .requiredOption('--findings <text>', 'what was found')
    .requiredOption('--root-cause <text>', 'the root cause')
    .option('--keys-compromised', 'the exchange keys may be compromised: rotation is requested in recovery')
    .option('--action <text...>', 'actions taken (repeatable)')
    .option('--prevention <text...>', 'prevention items (repeatable)')
    .option('--lessons <text>', 'lessons learned')
    .action((id: string, o: { findings: string; rootCause: string; keysCompromised?: boolean; action?: string[]; prevention?: string[]; lessons?: string }, cmd: Command) =>
      step(cmd, 'incident findings', {
        id,
        findings: o.findings,
        rootCause: o.rootCause,
        keysCompromised: !!o.keysCompromised,
        ...(o.action ? { actions: o.action } : {}),
        ...(o.prevention ? { prevention: o.prevention } : {}),
        ...(o.lessons !== undefined ? { lessons: o.lessons } : {}),
      }),
    );
  incident
    .command('resume')
    .argument('<id>', 'incident id')
    .description('approve resuming trading in recovery (the incident then writes its report and closes)')
    .requiredOption('--reason <text>', 'why it is safe now')
    .action((id: string, o: { reason: string }, cmd: Command) => step(cmd, 'incident resume', { id, reason: o.reason }));
}
