import type { Command } from 'commander';
import { findingsArg, idArg, reasonArg } from '../../domain/operator-input';
import { check, cliOperator } from './operate';
import type { CliContext } from '../cli';
import { renderIncidentReport } from '../../activities/incident-report';
import { connectClient } from '../../clients/connect';
import { IncidentControl } from '../../clients/incident-control';

/** A repeatable option, each value checked as the workflow's validator checks it. */
const each = (flag: string) => (value: string, previous: string[] | undefined) => [...(previous ?? []), check(reasonArg, flag)(value)];

/**
 * Adds the runbook's operator steps to the `incident` command (declare and ack
 * come with the operator commands): status, report, false-positive, contain,
 * findings, resume.
 */
export function registerIncidentCommands(program: Command, ctx: CliContext): void {
  const incident = program.commands.find((c) => c.name() === 'incident') ?? program.command('incident');
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
    .argument('<id>', 'incident id', check(idArg, '<id>'))
    .description('close an incident still in detection as a false positive (audited)')
    .requiredOption('--reason <text>', 'why it is not real', check(reasonArg, '--reason'))
    .action((id: string, o: { reason: string }) => withIncidents(async (c) => ctx.out(`${(await c.falsePositive(id, cliOperator(), o.reason)).id}: marked false positive`)));
  incident
    .command('contain')
    .argument('<id>', 'incident id', check(idArg, '<id>'))
    .description('answer a proposed containment (SEV-3/4): stop the affected sessions, or decline')
    .option('--decline', 'do not stop the sessions')
    .action((id: string, o: { decline?: boolean }) =>
      withIncidents(async (c) => ctx.out(`${(await c.confirmContainment(id, cliOperator(), !o.decline)).id}: containment ${o.decline ? 'declined' : 'confirmed'}`)),
    );
  incident
    .command('findings')
    .argument('<id>', 'incident id', check(idArg, '<id>'))
    .description('record the investigation: findings and root cause')
    .requiredOption('--findings <text>', 'what was found', check(findingsArg, '--findings'))
    .requiredOption('--root-cause <text>', 'the root cause', check(findingsArg, '--root-cause'))
    .option('--keys-compromised', 'the exchange keys may be compromised: rotation is requested in recovery')
    .option('--action <text...>', 'actions taken (repeatable)', each('--action'))
    .option('--prevention <text...>', 'prevention items (repeatable)', each('--prevention'))
    .option('--lessons <text>', 'lessons learned', check(findingsArg, '--lessons'))
    .action((id: string, o: { findings: string; rootCause: string; keysCompromised?: boolean; action?: string[]; prevention?: string[]; lessons?: string }) =>
      withIncidents(async (c) => {
        await c.recordFindings(id, cliOperator(), {
          findings: o.findings,
          rootCause: o.rootCause,
          keysCompromised: !!o.keysCompromised,
          actions: o.action,
          prevention: o.prevention,
          lessons: o.lessons,
        });
        ctx.out(`${id}: findings recorded`);
      }),
    );
  incident
    .command('resume')
    .argument('<id>', 'incident id', check(idArg, '<id>'))
    .description('approve resuming trading in recovery (the incident then writes its report and closes)')
    .requiredOption('--reason <text>', 'why it is safe now', check(reasonArg, '--reason'))
    .action((id: string, o: { reason: string }) => withIncidents(async (c) => ctx.out(`${(await c.approveResume(id, cliOperator(), o.reason)).id}: resume approved`)));
}
