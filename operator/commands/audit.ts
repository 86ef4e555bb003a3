import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../cli';
import { summary } from '../command-index';
import { auditSpoolDir } from '../../workers/composition';
import { createAwsClients } from '../../adapters/aws';
import { initAuditBucket } from '../../adapters/audit/bucket';
import { KmsHeadSigner, initAuditMacKey } from '../../adapters/audit/mac';
import { logPrefix } from '../../adapters/audit/s3-shipper';
import { readSpool, type SpoolSnapshot } from '../../adapters/audit/spool';
import { checkChainEnds, verifyEvents, verifyS3Trail, type ChainResult, type TrailBreak, type VerifyResult } from '../../adapters/audit/verify';

function isoDate(flag: string) {
  return (value: string): string => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
      throw new InvalidArgumentError(`${flag}: must be a date YYYY-MM-DD (got "${value}")`);
    }
    return value;
  };
}

/** Where each writer keeps its spool under the state directory (workers/desk-process.ts, commands/bot.ts, cli-audit.ts). */
/** The writers that keep a spool on a desk machine (a benchmark's worker writes as a worker). */
const LOCAL_WRITERS = ['worker', 'bot', 'cli'] as const;

/** One local spool's chain, within the optional day range; a range that starts mid-spool trusts its first event's link. */
function verifySpool(sp: Pick<SpoolSnapshot, 'events'> & { anchor?: SpoolSnapshot['anchor'] }, where: string, opts: { from?: string; to?: string }): VerifyResult {
  const inRange = sp.events.filter((e) => (!opts.from || e.time.slice(0, 10) >= opts.from) && (!opts.to || e.time.slice(0, 10) <= opts.to));
  const first = inRange[0];
  return verifyEvents(inRange, where, opts.from && first ? { seq: first.seq - 1, hash: first.prevHash } : sp.anchor);
}

/** `warden audit init|verify`: the WORM bucket's bootstrap and the trail's integrity check. */
export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description(summary('audit'));

  audit
    .command('init')
    .description('create or check the audit bucket (Object Lock, versioning, COMPLIANCE default retention) and the KMS key that MACs chain heads')
    .action(async () => {
      const { config } = ctx.config();
      const { s3, kms } = createAwsClients(config.aws);
      const r = await initAuditBucket(s3, config.aws.auditBucket, config.audit.retentionDays.audit);
      ctx.out(`${r.created ? 'created' : 'checked'} bucket ${r.bucket}: Object Lock ${r.mode}, default retention ${r.retentionDays} days`);
      // Production keys are created by whoever owns the KMS policy (who may GenerateMac is the point); an emulator or paper desk gets one here.
      const k = await initAuditMacKey(kms, config.aws.auditMacKeyId, config.profile !== 'production' || !!config.aws.endpoint);
      ctx.out(`${k.created ? 'created' : 'checked'} KMS key ${k.keyId}: HMAC_256 for audit chain heads`);
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
      // Every writer's spool on this machine (worker, bot, CLI), read without opening them for writing.
      const spools = (await Promise.all(LOCAL_WRITERS.map((r) => readSpool(auditSpoolDir(loaded.stateDir, r))))).filter((x) => x !== undefined);
      if (config.audit.shipToS3) {
        const { s3, kms } = createAwsClients(config.aws);
        where = `s3://${config.aws.auditBucket}/${logPrefix('audit')}/`;
        result = await verifyS3Trail(s3, config.aws.auditBucket, logPrefix('audit'), {
          range: { from: opts.from, to: opts.to },
          signer: new KmsHeadSigner(kms, config.aws.auditMacKeyId),
        });
        // A range may end before a chain does: only a whole-trail check can tell a missing end.
        if (!opts.from && !opts.to) result = checkChainEnds(result, spools, logPrefix('audit'));
      } else if (spools.length <= 1) {
        where = join(loaded.stateDir, 'audit', 'spool.jsonl');
        result = verifySpool(spools[0] ?? { anchor: undefined, events: [] }, where, opts);
      } else {
        where = loaded.stateDir;
        const chains = spools.map((sp): ChainResult => {
          const r = verifySpool(sp, join(sp.dir, 'spool.jsonl'), opts);
          return { writer: sp.writer, ok: r.ok, objects: 1, events: r.events, signed: false, ...(r.firstBreak ? { firstBreak: r.firstBreak } : {}) };
        });
        const broken = chains.find((c) => !c.ok);
        result = { ok: !broken, objects: chains.length, events: chains.reduce((n, c) => n + c.events, 0), chains, ...(broken ? { firstBreak: broken.firstBreak } : {}) };
      }
      if (!result.ok) process.exitCode = 1;
      if (opts.json) return ctx.out(JSON.stringify({ where, ...result }));
      const at = (b: TrailBreak) => `${b.key}${b.seq ? ` seq ${b.seq}` : ''}: ${b.problem}`;
      if (!result.chains) {
        ctx.out(result.ok ? `OK: ${result.events} events in ${result.objects} object(s) at ${where}; chain intact` : `BROKEN at ${at(result.firstBreak!)}`);
        return;
      }
      const broken = result.chains.filter((c) => !c.ok);
      ctx.out(
        result.ok
          ? config.audit.shipToS3
            ? `OK: ${result.events} events in ${result.objects} object(s) in ${result.chains.length} writer chain(s) at ${where}; every chain intact, every object locked and its head MAC verified`
            : `OK: ${result.events} events in ${result.chains.length} writer spool(s) at ${where}; every chain intact`
          : `BROKEN: ${broken.length} of ${result.chains.length} writer chain(s) at ${where}`,
      );
      // Every writer by name, so each break is attributed to its chain.
      for (const c of result.chains) {
        const unsigned = c.signed || !config.audit.shipToS3 ? '' : ' (legacy chain: hashes and locks only, no head MACs)';
        ctx.out(c.ok ? `  ${c.writer}: OK, ${c.events} events in ${c.objects} object(s)${unsigned}` : `  ${c.writer}: BROKEN at ${at(c.firstBreak!)}`);
      }
    });
}
