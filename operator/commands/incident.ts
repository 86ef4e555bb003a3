import type { Command } from 'commander';
import type { CliContext } from '../cli';
import { renderIncidentReport } from '../../activities/incident-report';
import { connectClient } from '../../workers/temporal-connection';
import { IncidentControl } from '../incident-control';

/** Adds `status` and `report` to the `incident` command (declare and ack come with the operator commands). */
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
    .command('status <id>')
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
    .command('report <id>')
    .description('the post-incident report (the seed template), as it stands now')
    .action((id: string) =>
      withIncidents(async (c) => {
        const st = await c.status(id);
        ctx.out(st.reportKey ? `# written to ${st.reportKey}\n` : '# draft: the incident is still open\n');
        ctx.out(renderIncidentReport(st, new Date().toISOString()));
      }),
    );
}
