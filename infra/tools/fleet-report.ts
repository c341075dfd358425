/**
 * Synthesizes a generated fleet (N mailboxes, like docs/scaling.md's) and prints what
 * CloudFormation will receive: each template's resource count and size, the synth time, and
 * any error the limits check raised. Bundling is skipped unless `--bundle` is given.
 *
 * Usage: npx tsx infra/tools/fleet-report.ts 10 150 1000 [--bundle]
 * (one size per process gives synth times without the module-loading warm-up of the first)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { validateDeployConfig } from '../deploy-config.js';
import { Pop3IngestStack } from '../stack.js';
import { fleetConfig } from './fleet-config.js';

const bundle = process.argv.includes('--bundle');
const sizes = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number);
for (const n of sizes.length > 0 ? sizes : [10, 150, 1000]) {
  const outdir = mkdtempSync(join(tmpdir(), `pop3-ingest-fleet-${n}-`));
  const started = performance.now();
  const cpu = process.cpuUsage();
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': bundle ? ['**'] : [] } });
  new Pop3IngestStack(app, 'Pop3Ingest', { deployConfig: validateDeployConfig(fleetConfig(n), `fleet of ${n}`) });
  const assembly = app.synth();
  const ms = performance.now() - started;
  const cpuUsed = process.cpuUsage(cpu);
  const cpuSeconds = (cpuUsed.user + cpuUsed.system) / 1e6;
  const rows: string[] = [];
  for (const artifact of assembly.stacks) {
    const templates = [[artifact.stackName, artifact.template as { Resources?: Record<string, unknown> }] as const, ...readNested(outdir)];
    for (const [name, template] of templates) {
      rows.push(`  ${name}: ${Object.keys(template.Resources ?? {}).length} resources, ${JSON.stringify(template).length} bytes`);
    }
    const errors = artifact.messages.filter((m) => m.level === 'error');
    rows.push(`  errors: ${errors.length === 0 ? 'none' : errors.map((e) => String(e.entry.data)).join(' | ')}`);
  }
  // CPU time as well as wall time: on a shared machine the wall time mostly measures the others.
  process.stdout.write(`${n} mailboxes: synth ${(ms / 1000).toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU${bundle ? ' (with bundling)' : ''}\n${rows.join('\n')}\n`);
  rmSync(outdir, { recursive: true, force: true });
}

function readNested(dir: string): Array<readonly [string, { Resources?: Record<string, unknown> }]> {
  const files = (JSON.parse(readFileSync(join(dir, 'Pop3Ingest.assets.json'), 'utf8')) as { files: Record<string, { source: { path: string } }> }).files;
  return Object.values(files)
    .map((f) => f.source.path)
    .filter((p) => p.endsWith('.nested.template.json'))
    .sort()
    .map((p) => [p.replace(/^Pop3IngestPop3PollerSchedules/, '').replace(/[0-9A-F]{8}\.nested\.template\.json$/, ' (nested)'), JSON.parse(readFileSync(join(dir, p), 'utf8')) as { Resources?: Record<string, unknown> }] as const);
}
