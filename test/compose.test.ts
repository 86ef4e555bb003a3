import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load';
import { buildProgram } from '../operator/cli';

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

const root = join(import.meta.dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const wardenCommands = new Set((await buildProgram(() => undefined)).commands.map((c) => c.name()));

// No Docker engine here: check the file against the repo instead of running it.
describe('docker-compose.yml', () => {
  it('has the services the desk needs', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'warden-worker', 'prometheus', 'grafana']),
    );
  });

  for (const [name, svc] of Object.entries(compose.services)) {
    it(`${name}: everything it refers to exists in the repo`, () => {
      expect(svc.image || svc.build, `${name} needs an image or a build`).toBeTruthy();
      if (svc.build) {
        const context = typeof svc.build === 'string' ? svc.build : svc.build.context;
        expect(existsSync(join(root, context, 'Dockerfile'))).toBe(true);
        // Our image's entrypoint is the warden CLI, so the command must be one of its subcommands.
        expect(svc.command?.[0] && wardenCommands.has(svc.command[0]), `${name}: unknown warden command ${svc.command?.[0]}`).toBe(true);
      }
      for (const volume of svc.volumes ?? []) {
        const host = volume.split(':')[0]!;
        if (host.startsWith('./')) expect(existsSync(join(root, host)), `${name}: ${host} is missing`).toBe(true);
      }
      const cfg = svc.environment?.WARDEN_CONFIG;
      if (cfg) {
        const mount = (svc.volumes ?? []).find((v) => v.split(':')[1] === cfg);
        expect(mount, `${name}: ${cfg} is not mounted from the repo`).toBeTruthy();
        expect(loadConfig(join(root, mount!.split(':')[0]!), { env: {} }).config.profile).toBe('paper');
      }
    });
  }

  it('Prometheus scrapes the worker on the port its config serves metrics on', () => {
    const prom = parse(readFileSync(join(root, 'ops/prometheus/prometheus.yml'), 'utf8'));
    const targets: string[] = prom.scrape_configs.flatMap((s: { static_configs: Array<{ targets: string[] }> }) =>
      s.static_configs.flatMap((c) => c.targets),
    );
    const { config } = loadConfig(join(root, 'config/compose.yaml'), { env: {} });
    expect(targets).toContain(`warden-worker:${config.metrics.port}`);
  });
});
