import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../cli';
import { summary } from '../command-index';
import { createAwsClients } from '../../adapters/aws';
import { initAuditBucket } from '../../adapters/audit/bucket';
import { logPrefix } from '../../adapters/audit/s3-shipper';
import { AuditTrail } from '../../adapters/audit/trail';
import { verifyEvents, verifyS3Trail, type VerifyResult } from '../../adapters/audit/verify';

function isoDate(flag: string) {
  return (value: string): string => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
      throw new InvalidArgumentError(`${flag}: must be a date YYYY-MM-DD (got "${value}")`);
    }
    return value;
  };
}

/** `warden audit init|verify`: the WORM bucket's bootstrap and the trail's integrity check. */
export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description(summary('audit'));

  audit
    .command('init')
    .description('create or check the audit bucket: Object Lock, versioning, COMPLIANCE default retention')
    .action(async () => {
      const { config } = ctx.config();
      const { s3 } = createAwsClients(config.aws);
      const r = await initAuditBucket(s3, config.aws.auditBucket, config.audit.retentionDays.audit);
      ctx.out(`${r.created ? 'created' : 'checked'} bucket ${r.bucket}: Object Lock ${r.mode}, default retention ${r.retentionDays} days`);
    });

  audit
    .command('verify')
    .description('read the trail back and check the hash chain and every object lock; exits 1 on any break')
    .option('--from <date>', 'first day to check (YYYY-MM-DD)', isoDate('--from'))
    .option('--to <date>', 'last day to check (YYYY-MM-DD)', isoDate('--to'))
    .option('--json', 'print the result as JSON')
    .action(async (opts: { from?: string; to?: string; json?: boolean }) => {
      const loaded = ctx.config();
      const { config } = loaded;
      let result: VerifyResult;
      let where: string;
      if (config.audit.shipToS3) {
        const { s3 } = createAwsClients(config.aws);
        where = `s3://${config.aws.auditBucket}/${logPrefix('audit')}/`;
        result = await verifyS3Trail(s3, config.aws.auditBucket, logPrefix('audit'), { from: opts.from, to: opts.to });
      } else {
        const trail = await AuditTrail.open({ dir: join(loaded.stateDir, 'audit') });
        where = join(loaded.stateDir, 'audit', 'spool.jsonl');
        const inRange = trail.events().filter((e) => (!opts.from || e.time.slice(0, 10) >= opts.from) && (!opts.to || e.time.slice(0, 10) <= opts.to));
        const first = inRange[0];
        // A range that starts mid-spool trusts its first event's link to what came before.
        result = verifyEvents(inRange, where, opts.from && first ? { seq: first.seq - 1, hash: first.prevHash } : undefined);
        await trail.close();
      }
      if (opts.json) ctx.out(JSON.stringify({ where, ...result }));
      else if (result.ok) ctx.out(`OK: ${result.events} events in ${result.objects} object(s) at ${where}; chain intact${config.audit.shipToS3 ? ', every object locked' : ''}`);
      else ctx.out(`BROKEN at ${result.firstBreak!.key}${result.firstBreak!.seq ? ` seq ${result.firstBreak!.seq}` : ''}: ${result.firstBreak!.problem}`);
      if (!result.ok) process.exitCode = 1;
    });
}
