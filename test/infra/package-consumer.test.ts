/**
 * Threat: the construct works only from a checkout (it bundled lambda/handler from the
 * repository), so another CDK app cannot `import { Pop3Poller } from 'pop3-ingest/cdk'`, or the
 * package ships without the handler and the consumer's deploy fails. This test builds the
 * package as `npm pack` does, installs the tarball into an empty app folder, and synthesizes the
 * example app (examples/cdk-app) against it: no esbuild, no TypeScript sources of ours.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'pop3-ingest-consumer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the pop3-ingest/cdk package entry point', () => {
  it('synthesizes the example app from the packed tarball, with the shipped handler bundle', { timeout: 600_000 }, () => {
    // Prepare: what `npm pack` runs (prepack), then the tarball itself
    execFileSync('npm', ['run', 'prepack'], { cwd: root, stdio: 'pipe' });
    const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' })) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0]?.files.map((f) => f.path) ?? [];
    for (const f of ['dist/infra/index.js', 'dist/infra/index.d.ts', 'dist/infra/handler-bundle.json', 'dist/bundle/handler.mjs', 'dist/lambda/handler/contract.js']) expect(files).toContain(f);
    // The lazily imported chunks ship too (the parser): without them a mailbox with parse fails at run time.
    expect(files.some((f) => /^dist\/bundle\/chunks\/parse-step-[A-Z0-9]+\.mjs$/.test(f))).toBe(true);
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('infra/'))).toBe(false);

    // An app folder: the tarball as node_modules/pop3-ingest, everything else from our install
    const app = join(work, 'app');
    const modules = join(app, 'node_modules');
    mkdirSync(join(modules, 'pop3-ingest'), { recursive: true });
    execFileSync('tar', ['-xzf', join(work, packed[0]?.filename ?? ''), '-C', join(modules, 'pop3-ingest'), '--strip-components=1']);
    for (const name of readdirSync(join(root, 'node_modules'))) {
      if (name === 'pop3-ingest' || name === 'esbuild' || name.startsWith('.')) continue;
      symlinkSync(join(root, 'node_modules', name), join(modules, name));
    }
    cpSync(join(root, 'examples', 'cdk-app'), app, { recursive: true });

    // Act
    const out = join(work, 'cdk.out');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'app.ts'], {
      cwd: app,
      env: { ...process.env, CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify({ config: 'mailboxes.json' }) },
      encoding: 'utf8',
    });

    // Assess
    expect(run.status, run.stderr).toBe(0);
    const template = JSON.parse(readFileSync(join(out, 'MailIntake.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types.filter((t) => t === 'AWS::Events::Rule')).toHaveLength(2);
    expect(types).toContain('AWS::CloudFormation::Stack');
    const rule = Object.values(template.Resources).find((r) => r.Type === 'AWS::Events::Rule');
    expect(rule?.Properties.EventPattern).toEqual({ source: ['pop3-ingest'], 'detail-type': ['Message Stored'] });
    // The asset is the package's own bundle, byte for byte, with the config next to it.
    const asset = readdirSync(out).find((d) => d.startsWith('asset.') && readdirSync(join(out, d)).includes('handler.mjs')) ?? '';
    expect(readdirSync(join(out, asset)).sort()).toEqual(['chunks', 'handler.mjs', 'pop3-ingest.config.json']);
    expect(readFileSync(join(out, asset, 'handler.mjs')).equals(readFileSync(join(modules, 'pop3-ingest', 'dist', 'bundle', 'handler.mjs')))).toBe(true);
  });
});
