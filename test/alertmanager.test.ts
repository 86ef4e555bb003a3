import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

/**
 * ops/alertmanager/alertmanager.yml checked by the real amtool (Debian's
 * prometheus-alertmanager, scripts/ensure-alertmanager.sh): the config is valid,
 * every Prometheus rule reaches the receivers its severity calls for, and the
 * inhibition rules name alerts that exist.
 */
const root = join(import.meta.dirname, '..');
const CONFIG = 'ops/alertmanager/alertmanager.yml';

function amtool(args: string[]): { status: number | null; stdout: string; output: string } {
  const res = spawnSync('amtool', args, { cwd: root, encoding: 'utf8', timeout: 30_000 });
  if (res.error) throw new Error(`amtool: ${res.error.message}: run \`bash scripts/ensure-alertmanager.sh\` (Debian's prometheus-alertmanager)`);
  return { status: res.status, stdout: res.stdout, output: `${res.stdout}${res.stderr}` };
}

interface Rule {
  alert: string;
  labels: { severity: string };
}
const rules: Rule[] = (parse(readFileSync(join(root, 'ops/prometheus/rules/warden.rules.yml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const am = parse(readFileSync(join(root, CONFIG), 'utf8')) as {
  inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[] }>;
  receivers: Array<{ name: string; pagerduty_configs?: Array<Record<string, unknown>>; email_configs?: unknown[] }>;
};

describe('ops/alertmanager/alertmanager.yml', () => {
  it('passes amtool check-config', () => {
    const res = amtool(['check-config', CONFIG]);
    expect(res.output).toContain('SUCCESS');
    expect(res.status).toBe(0);
  });

  it.each(rules.map((r) => [r.alert, r.labels.severity] as const))('%s (%s) routes to PagerDuty + email when critical, email otherwise', (alert, severity) => {
    const res = amtool(['config', 'routes', 'test', `--config.file=${CONFIG}`, `alertname=${alert}`, `severity=${severity}`, 'exchange=binance', 'account=main']);
    // stdout is the receiver; amtool warns on stderr that --config.file overrides its URL.
    expect(res.stdout.trim()).toBe(severity === 'critical' ? 'pagerduty-and-email' : 'email');
  });

  it('the PagerDuty receiver reads its routing key from a file, and mails too; no secret value is in the file', () => {
    const pd = am.receivers.find((r) => r.name === 'pagerduty-and-email')!;
    expect(pd.pagerduty_configs?.[0]).toMatchObject({ routing_key_file: expect.any(String), send_resolved: true });
    expect(pd.pagerduty_configs?.[0]).not.toHaveProperty('routing_key');
    expect(pd.email_configs).toHaveLength(1);
    expect(readFileSync(join(root, CONFIG), 'utf8')).not.toMatch(/auth_password:|routing_key:|service_key:/);
  });

  it('inhibition names real alerts: a worker down silences its derived alerts', () => {
    const names = new Set(rules.map((r) => r.alert));
    const named = am.inhibit_rules.flatMap((r) => [...r.source_matchers, ...r.target_matchers]).flatMap((m) => {
      const v = /^alertname=~?"(.*)"$/.exec(m)?.[1];
      return v ? v.split('|') : [];
    });
    expect(named.length).toBeGreaterThan(0);
    for (const n of named) expect(names.has(n), n).toBe(true);
    expect(am.inhibit_rules[0]).toMatchObject({ source_matchers: ['alertname="WardenWorkerDown"'] });
  });
});
