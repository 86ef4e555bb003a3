import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { InvalidArgumentError, type Command } from 'commander';
import { collectKeyAudit, type KeyAuditResult } from '../../activities/security';
import { stageExchangeSecret } from '../../adapters/secrets/rotation';
import { exchangeSecretName, type KeyPurpose } from '../../adapters/secrets/types';
import { EXCHANGE_IDS, type ExchangeId } from '../../domain/market';
import { formatFindings, hasCritical } from '../../domain/key-audit';
import type { PreflightItem } from '../../domain/preflight';
import { applySchedules, describeSchedules } from '../../workers/schedules';
import { connectClient } from '../../clients/connect';
import { oldKeyRevokedUpdate, pendingStoredUpdate, rotateWorkflowId, type RotationState } from '../../contracts/rotation';
import type { CliContext } from '../cli';
import { summary } from '../command-index';
import { createPreflightDeps, loadConfigForPreflight, openSecurityIo, runPreflight } from '../../workers/preflight';
import { cliOperator } from '../core/identity';

function exchangeArg(value: string): ExchangeId {
  if (!(EXCHANGE_IDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`exchange: must be one of ${EXCHANGE_IDS.join(', ')} (got "${value}")`);
  return value as ExchangeId;
}

function purposeArg(value: string): KeyPurpose {
  if (value !== 'trading' && value !== 'monitoring') throw new InvalidArgumentError(`--purpose: must be trading or monitoring (got "${value}")`);
  return value;
}

/** A secret's JSON from a file, a hidden prompt (a terminal) or a pipe; never argv or env, where it would outlive the command. */
async function readSecretText(file: string | undefined): Promise<string> {
  if (file) {
    return readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new Error(`--file: cannot read ${file} (${err.code ?? err.name})`);
    });
  }
  if (process.stdin.isTTY) return promptHidden('Paste the new key as the secret JSON (input hidden; ends when the JSON is complete or on an empty line):\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Readline over a muted output: what the operator pastes is never echoed to the terminal (or its scrollback). */
async function promptHidden(question: string): Promise<string> {
  process.stderr.write(question);
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  const lines: string[] = [];
  try {
    for await (const line of rl) {
      if (!line.trim()) break;
      lines.push(line);
      try {
        JSON.parse(lines.join('\n'));
        break;
      } catch {
        // Not complete yet: keep reading.
      }
    }
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
  return lines.join('\n');
}

function requireAccount(ctx: CliContext, exchange: ExchangeId, account: string): void {
  if (!ctx.config().config.exchanges.some((x) => x.exchange === exchange && x.account === account)) {
    throw new Error(`account: ${exchange}/${account} is not a configured account`);
  }
}

const ICON: Record<PreflightItem['status'], string> = { pass: '✅ PASS  ', fail: '❌ FAIL  ', manual: '📝 MANUAL' };

/** `warden keys | secrets | rotation | schedules | preflight`: the security procedures from the command line. */
export function registerSecurityCommands(program: Command, ctx: CliContext): void {
  // ---- keys audit ------------------------------------------------------------------------
  program
    .command('keys')
    .description(summary('keys'))
    .command('audit')
    .description("ask every configured account's venue what its keys may do; exits 1 on any CRITICAL finding or an account it could not audit")
    .option('--json', 'print the findings as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { config } = ctx.config();
      const io = await openSecurityIo(ctx.config(), cliOperator().id, undefined, await ctx.audit?.());
      const results: Array<Partial<KeyAuditResult> & { exchange: ExchangeId; account: string; error?: string }> = [];
      for (const { exchange, account } of config.exchanges) {
        try {
          results.push(await collectKeyAudit(io, { exchange, account }));
        } catch (err) {
          results.push({ exchange, account, error: (err as Error).message });
        }
      }
      const findings = results.flatMap((r) => r.findings ?? []);
      const failed = results.filter((r) => r.error);
      const critical = hasCritical(findings);
      if (opts.json) {
        ctx.out(JSON.stringify({ accounts: results, critical }));
      } else {
        // The guide's output names only the venue; with two accounts on one venue, the account too.
        const perVenue = new Map<string, number>();
        for (const x of config.exchanges) perVenue.set(x.exchange, (perVenue.get(x.exchange) ?? 0) + 1);
        const withAccount = [...perVenue.values()].some((n) => n > 1);
        for (const r of results) {
          if (r.error) ctx.out(`❌ ERROR: [${r.exchange}/${r.account}] key audit could not run: ${r.error}`);
          else if (r.findings?.length) ctx.out(formatFindings(r.findings, { withAccount }));
        }
        if (!results.length) ctx.out('no exchange accounts are configured');
      }
      if (critical || failed.length) process.exitCode = 1;
    });

  // ---- secrets stage ----------------------------------------------------------------------
  program
    .command('secrets')
    .description(summary('secrets'))
    .command('stage')
    .description('store a new key as AWSPENDING for rotation (the current key stays live); reads the JSON from --file, a hidden prompt, or stdin')
    .argument('<exchange>', `one of ${EXCHANGE_IDS.join(', ')}`, exchangeArg)
    .argument('<account>', 'a configured account')
    .option('--purpose <purpose>', 'trading or monitoring', purposeArg, 'trading' as KeyPurpose)
    .option('--file <path>', 'read the secret JSON from this file')
    .action(async (exchange: ExchangeId, account: string, opts: { purpose: KeyPurpose; file?: string }) => {
      requireAccount(ctx, exchange, account);
      const loaded = ctx.config();
      const name = exchangeSecretName(loaded.config.aws.secretsPrefix, exchange, account, opts.purpose);
      const text = await readSecretText(opts.file);
      const io = await openSecurityIo(loaded, cliOperator().id, undefined, await ctx.audit?.());
      const staged = await stageExchangeSecret(io.rotator, name, text);
      ctx.out(`staged ${name} as AWSPENDING (version ${staged.versionId}), new key ${staged.keyFingerprint}`);
      ctx.out(`next: warden rotation staged ${exchange} ${account} --purpose ${opts.purpose} (the rotation audits it at the venue before promoting it)`);
    });

  // ---- rotation staged / revoked -------------------------------------------------------------
  const rotation = program.command('rotation').description(summary('rotation'));
  const answer = (name: 'staged' | 'revoked', description: string, update: typeof pendingStoredUpdate) =>
    rotation
      .command(name)
      .description(description)
      .argument('<exchange>', `one of ${EXCHANGE_IDS.join(', ')}`, exchangeArg)
      .argument('<account>', 'a configured account')
      .option('--purpose <purpose>', 'trading or monitoring', purposeArg, 'trading' as KeyPurpose)
      .option('--json', 'print the rotation state as JSON')
      .action(async (exchange: ExchangeId, account: string, opts: { purpose: KeyPurpose; json?: boolean }) => {
        const { config } = ctx.config();
        const client = await connectClient(config.temporal);
        try {
          const id = rotateWorkflowId(exchange, account, opts.purpose);
          const st: RotationState = await client.workflow.getHandle(id).executeUpdate(update, { args: [{ by: cliOperator().id }] });
          ctx.out(opts.json ? JSON.stringify(st) : `${id}: ${st.status} (current ${st.currentKey ?? '-'}, pending ${st.pendingKey ?? '-'})`);
        } finally {
          await client.connection.close();
        }
      });
  answer('staged', 'tell the rotation the new key is staged (Update pendingStored); it then audits and promotes it', pendingStoredUpdate);
  answer('revoked', 'tell the rotation the OLD key is revoked at the exchange (Update oldKeyRevoked)', oldKeyRevokedUpdate);

  // ---- schedules ----------------------------------------------------------------------------
  const schedules = program.command('schedules').description(summary('schedules'));
  schedules
    .command('apply')
    .description('create or update the schedules from the config (idempotent)')
    .action(async () => {
      const { config } = ctx.config();
      const client = await connectClient(config.temporal);
      try {
        for (const r of await applySchedules(client, config)) ctx.out(`${r.id}: ${r.outcome}`);
      } finally {
        await client.connection.close();
      }
    });
  schedules
    .command('list')
    .description('show the schedules, their next and last runs')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { config } = ctx.config();
      const client = await connectClient(config.temporal);
      try {
        const views = await describeSchedules(client);
        if (opts.json) ctx.out(JSON.stringify(views));
        else
          for (const v of views) {
            ctx.out(
              v.found
                ? `${v.id}  ${v.workflowType} on ${v.taskQueue}${v.paused ? ' (paused)' : ''}  next ${v.nextRun ?? '-'}  last ${v.lastRun ? `${v.lastRun.at} ${v.lastRun.workflowId}` : '-'}`
                : `${v.id}  missing (run warden schedules apply)`,
            );
          }
      } finally {
        await client.connection.close();
      }
    });

  // ---- preflight ----------------------------------------------------------------------------
  program
    .command('preflight')
    .description(summary('preflight'))
    .option('--json', 'print { items: [{ section, item, status, reason }] }')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      // Not ctx.config(): its production refusal (a secret in env or .env) is one of the things preflight reports.
      const loaded = loadConfigForPreflight(cmd.optsWithGlobals<{ config: string }>().config);
      const trail = await ctx.audit?.();
      const deps = createPreflightDeps(loaded, await openSecurityIo(loaded, cliOperator().id, undefined, trail), trail);
      const report = await runPreflight(loaded, deps).finally(() => deps.close());
      if (opts.json) ctx.out(JSON.stringify({ items: report.items }));
      else {
        let section = '';
        for (const i of report.items) {
          if (i.section !== section) ctx.out(`${section ? '\n' : ''}## ${(section = i.section)}`);
          ctx.out(`${ICON[i.status]} ${i.item}: ${i.reason}`);
        }
        const count = (s: PreflightItem['status']) => report.items.filter((i) => i.status === s).length;
        ctx.out(`\n${count('pass')} pass, ${count('fail')} fail, ${count('manual')} to confirm by hand (${report.profile} profile)`);
      }
      if (!report.ok) process.exitCode = 1;
    });
}
