import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import type { AuditEvent } from '../adapters/audit/events';
import { KmsHeadSigner } from '../adapters/audit/mac';
import { S3AuditShipper } from '../adapters/audit/s3-shipper';
import { seal } from '../adapters/audit/chain';
import { AuditTrail, type AuditShipper } from '../adapters/audit/trail';
import { motoClients } from './helpers/aws';
import { tempDir } from './helpers/audit';
import { testClock } from './helpers/clock';

const run = promisify(execFile);
const awsEnv = { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };

function warden(config: string, ...args: string[]) {
  return run('node', ['bin/warden.js', '--config', config, ...args], { env: awsEnv }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('warden audit init / verify', () => {
  it('bootstraps the bucket, verifies an intact S3 trail, and names the break after tampering', async () => {
    const dir = tempDir();
    const bucket = 'warden-cli-audit';
    const config = join(dir, 'warden.yaml');
    writeFileSync(
      config,
      `profile: paper\naws: { endpoint: "${inject('motoEndpoint')}", forcePathStyle: true, auditBucket: ${bucket} }\naudit: { shipToS3: true }\nsecrets: { provider: local-file }\n`,
    );
    expect(await warden(config, 'audit', 'init')).toMatchObject({
      code: 0,
      stdout: `created bucket ${bucket}: Object Lock COMPLIANCE, default retention 2555 days\ncreated KMS key alias/warden-audit-mac: HMAC_256 for audit chain heads\n`,
    });
    const again = (await warden(config, 'audit', 'init')).stdout;
    expect(again).toContain(`checked bucket ${bucket}`);
    expect(again).toContain('checked KMS key alias/warden-audit-mac');

    const { s3, kms } = motoClients();
    const signer = new KmsHeadSigner(kms, 'alias/warden-audit-mac');
    // The desk side ships on the test clock (retain-until only moves further into moto's future);
    // the `warden` processes below judge locks by their own real clock.
    const trail = await AuditTrail.open({ dir: join(dir, '.warden', 'audit'), shipper: new S3AuditShipper({ s3, bucket, now: testClock, signer }), batchMaxEvents: 2, now: testClock });
    for (let i = 0; i < 5; i++) {
      await trail.record({ type: 'config_change', actor: 'admin', data: { parameter: 'max_position_size_pct', old_value: `0.0${i}`, new_value: `0.0${i + 1}`, changed_by: 'admin', reason: 'test' } });
    }
    await trail.shipNow();
    await trail.close();
    const ok = await warden(config, 'audit', 'verify');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(
      `OK: 5 events in 3 object(s) in 1 writer chain(s) at s3://${bucket}/logs/; every chain intact, every object locked and its head MAC verified\n` +
        `  ${trail.writer}: OK, 5 events in 3 object(s)\n`,
    );

    const day = trail.events()[0]!.time.slice(0, 10);
    const Key = `logs/${trail.writer}/${day}/000000000003-000000000004.jsonl`;
    const altered = trail.events().slice(2, 4).map((e: AuditEvent) => (e.seq === 4 ? { ...e, actor: 'mallory' } : e));
    // Locked a day past real time: in force for the CLI's clock and moto's, so the rewrite, not the lock, is what verify reports.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: altered.map((e) => JSON.stringify(e)).join('\n'), ObjectLockMode: 'COMPLIANCE', ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000) }));
    const broken = await warden(config, 'audit', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(
      new RegExp(`^BROKEN: 1 of 1 writer chain\\(s\\) at s3://${bucket}/logs/\\n  ${trail.writer}: BROKEN at ${Key} seq 4: object was rewritten: version \\S+ differs from the original\\n$`),
    );
  });

  it('verifies the paper spool and rejects a bad --from date naming the flag', async () => {
    const dir = tempDir();
    const config = join(dir, 'warden.yaml');
    writeFileSync(config, 'profile: paper\nsecrets: { provider: local-file }\n');
    const trail = await AuditTrail.open({ dir: join(dir, '.warden', 'audit') });
    await trail.record({ type: 'operator_command', actor: 'op-1', data: { operator: 'op-1', channel: 'cli', command: 'stop', outcome: 'accepted' } });
    await trail.close();
    expect((await warden(config, 'audit', 'verify')).stdout).toBe(`OK: 1 events in 1 object(s) at ${join(dir, '.warden', 'audit', 'spool.jsonl')}; chain intact\n`);
    const bad = await warden(config, 'audit', 'verify', '--from', '2025-13-45');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--from: must be a date YYYY-MM-DD (got "2025-13-45")');
  });
});

describe('warden audit verify over four writers', () => {
  it('names a forged appended object, a rewritten object and a missing object, each under its writer', async () => {
    const dir = tempDir();
    const bucket = 'warden-cli-writers';
    const config = join(dir, 'warden.yaml');
    writeFileSync(
      config,
      `profile: paper\naws: { endpoint: "${inject('motoEndpoint')}", forcePathStyle: true, auditBucket: ${bucket} }\naudit: { shipToS3: true }\nsecrets: { provider: local-file }\n`,
    );
    expect((await warden(config, 'audit', 'init')).code).toBe(0);
    const { s3, kms } = motoClients();
    const shipper = new S3AuditShipper({ s3, bucket, now: testClock, signer: new KmsHeadSigner(kms, 'alias/warden-audit-mac') });
    const open = (role: 'worker' | 'bot' | 'cli', ship: AuditShipper = shipper) => AuditTrail.open({ dir: tempDir(), role, shipper: ship, batchMaxEvents: 2, now: testClock });
    const cmd = (n: number) => ({ type: 'operator_command' as const, actor: 'op-1', data: { operator: 'op-1', channel: 'cli' as const, command: `pause ${n}`, outcome: 'accepted' as const } });
    // The bot's batch 3-4 never arrives (said delivered by a broken shipper): a missing object.
    const dropping: AuditShipper = { ship: (b, w) => (b[0]!.seq === 3 ? Promise.resolve('dropped') : shipper.ship(b, w)) };
    const [a, b, bot, cli] = await Promise.all([open('worker'), open('worker'), open('bot', dropping), open('cli')]);
    for (const [t, n] of [[a, 4], [b, 4], [bot, 6], [cli, 2]] as const) {
      for (let i = 1; i <= n; i++) await t.record(cmd(i));
      await t.shipNow();
      await t.close();
    }
    const day = a.events()[0]!.time.slice(0, 10);
    const lock = { ObjectLockMode: 'COMPLIANCE' as const, ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000) };
    // Worker a: a correctly chained event appended at the next key by someone without the KMS key.
    const last = a.events()[3]!;
    const forged = seal({ ...last, seq: 5, id: 'forged', data: { ...last.data, command: 'approve rb-1 90000' }, prevHash: last.hash, hash: undefined } as unknown as Omit<AuditEvent, 'hash'>);
    const forgedKey = `logs/${a.writer}/${day}/000000000005-000000000005.jsonl`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: forgedKey, Body: `${JSON.stringify(forged)}\n`, ...lock }));
    // Worker b: an object rewritten with one event changed.
    const rewrittenKey = `logs/${b.writer}/${day}/000000000003-000000000004.jsonl`;
    const changed = b.events().slice(2, 4).map((e) => (e.seq === 4 ? { ...e, actor: 'mallory' } : e));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: rewrittenKey, Body: changed.map((e) => `${JSON.stringify(e)}\n`).join(''), ...lock }));

    const r = await warden(config, 'audit', 'verify');
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`BROKEN: 3 of 4 writer chain(s) at s3://${bucket}/logs/`);
    expect(lines).toContain(`  ${a.writer}: BROKEN at ${forgedKey} seq 5: object carries no head MAC (not written by a desk writer)`);
    expect(lines.find((l) => l.startsWith(`  ${b.writer}:`))).toMatch(new RegExp(`BROKEN at ${rewrittenKey} seq 4: object was rewritten`));
    expect(lines).toContain(`  ${bot.writer}: BROKEN at logs/${bot.writer}/${day}/000000000005-000000000006.jsonl seq 3: sequence gap: expected 3, found 5 (event removed)`);
    expect(lines).toContain(`  ${cli.writer}: OK, 2 events in 1 object(s)`);
    expect(lines).toHaveLength(5);
  });
});

describe('warden audit verify reads every writer on this machine', () => {
  it('paper: the worker, bot and CLI spools are each a chain, and a changed event in the bot spool is named', async () => {
    const dir = tempDir();
    const config = join(dir, 'warden.yaml');
    writeFileSync(config, 'profile: paper\nsecrets: { provider: local-file }\n');
    const cmd = (n: number) => ({ type: 'operator_command' as const, actor: 'op-1', data: { operator: 'op-1', channel: 'cli' as const, command: `pause ${n}`, outcome: 'accepted' as const } });
    const writers: Array<{ dir: string; writer: string }> = [];
    for (const [sub, role, n] of [['audit', 'worker', 3], [join('bot', 'audit'), 'bot', 2], [join('cli', 'audit'), 'cli', 1]] as const) {
      const trail = await AuditTrail.open({ dir: join(dir, '.warden', sub), role });
      for (let i = 1; i <= n; i++) await trail.record(cmd(i));
      writers.push({ dir: join(dir, '.warden', sub), writer: trail.writer });
      await trail.close();
    }
    const ok = await warden(config, 'audit', 'verify');
    expect(ok.code).toBe(0);
    expect(ok.stdout.split('\n')[0]).toBe(`OK: 6 events in 3 writer spool(s) at ${join(dir, '.warden')}; every chain intact`);
    for (const [i, n] of [3, 2, 1].entries()) expect(ok.stdout).toContain(`  ${writers[i]!.writer}: OK, ${n} events in 1 object(s)\n`);

    // Someone with access to the bot's host edits its record of a command.
    const spool = join(writers[1]!.dir, 'spool.jsonl');
    writeFileSync(spool, readFileSync(spool, 'utf8').replace('pause 2', 'resume 2'));
    const broken = await warden(config, 'audit', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN: 1 of 3 writer chain(s) at ${join(dir, '.warden')}`);
    expect(broken.stdout).toMatch(new RegExp(`  ${writers[1]!.writer}: BROKEN at ${spool.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} seq 2: `));
  });

  it('S3: an object missing at the end of a chain is named, from the spool that shipped it', async () => {
    const dir = tempDir();
    const bucket = 'warden-cli-chain-end';
    const config = join(dir, 'warden.yaml');
    writeFileSync(
      config,
      `profile: paper\naws: { endpoint: "${inject('motoEndpoint')}", forcePathStyle: true, auditBucket: ${bucket} }\naudit: { shipToS3: true }\nsecrets: { provider: local-file }\n`,
    );
    expect((await warden(config, 'audit', 'init')).code).toBe(0);
    const { s3, kms } = motoClients();
    const shipper = new S3AuditShipper({ s3, bucket, now: testClock, signer: new KmsHeadSigner(kms, 'alias/warden-audit-mac') });
    // The bot's last batch (seq 5-6) never arrives, though its shipper said it did: the bucket shows no gap.
    const dropping: AuditShipper = { ship: (b, w) => (b[0]!.seq === 5 ? Promise.resolve('dropped') : shipper.ship(b, w)) };
    const cmd = (n: number) => ({ type: 'operator_command' as const, actor: 'op-1', data: { operator: 'op-1', channel: 'cli' as const, command: `stop ${n}`, outcome: 'accepted' as const } });
    const open = (sub: string, role: 'worker' | 'bot' | 'cli', ship: AuditShipper) => AuditTrail.open({ dir: join(dir, '.warden', sub), role, shipper: ship, batchMaxEvents: 2, now: testClock });
    const trails = await Promise.all([open('audit', 'worker', shipper), open(join('bot', 'audit'), 'bot', dropping), open(join('cli', 'audit'), 'cli', shipper)]);
    for (const [t, n] of [[trails[0], 2], [trails[1], 6], [trails[2], 2]] as const) {
      for (let i = 1; i <= n; i++) await t.record(cmd(i));
      await t.shipNow();
      await t.close();
    }
    const bot = trails[1].writer;
    const r = await warden(config, 'audit', 'verify');
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`BROKEN: 1 of 3 writer chain(s) at s3://${bucket}/logs/`);
    expect(lines).toContain(`  ${bot}: BROKEN at logs/${bot}/ seq 5: missing object(s) at the chain's end: this machine's spool shipped up to seq 6, the bucket ends at seq 4`);
    expect(lines.filter((l) => l.endsWith('OK, 2 events in 1 object(s)'))).toHaveLength(2);
  });
});

