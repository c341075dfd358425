/**
 * Threat: the stack only deploys on the author's machine (Docker needed, network needed, the SDK
 * version left to the runtime, CommonJS `require` crashing an ESM bundle at cold start).
 * This test really bundles the handler with the local esbuild, like `cdk synth` does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { validateDeployConfig } from '../../infra/deploy-config.js';
import { Pop3IngestStack } from '../../infra/stack.js';
import { sampleConfig } from './synth.js';

const outdir = mkdtempSync(join(tmpdir(), 'pop3-ingest-cdk-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('function bundle', () => {
  it('is built offline by the local esbuild as ESM with the SDK inside and a createRequire banner', { timeout: 120_000 }, () => {
    // Prepare
    const app = new App({ outdir });
    new Pop3IngestStack(app, 'Pop3Ingest', { deployConfig: validateDeployConfig(sampleConfig(), 'sample') });

    // Act
    app.synth();

    // Assess
    const assets = readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const dir = join(outdir, assets[0] ?? '');
    expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire as __pop3CreateRequire } from 'node:module'; const require = __pop3CreateRequire(import.meta.url);")).toBe(true);
    // The AWS SDK is bundled, not imported from the runtime's copy.
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    expect(code).toContain('PutEventsCommand');
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    expect(existsSync(join(outdir, 'Pop3Ingest.template.json'))).toBe(true);

    // The bundle loads as ESM in a bare Node (no node_modules next to it), the way Lambda loads it.
    const config = { ...sampleConfig(), storage: { prefix: 'mail/', bucket: 'bundle-test' }, events: { busName: 'bundle-test' } };
    const loaded = spawnSync(process.execPath, ['--input-type=module', '-e', "const m = await import('./index.mjs'); process.stdout.write(typeof m.handler);"], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', POP3_INGEST_CONFIG: JSON.stringify(config), AWS_REGION: 'us-east-1', NODE_OPTIONS: '--enable-source-maps' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(loaded.stderr).not.toMatch(/ReferenceError|require is not defined|ERR_MODULE_NOT_FOUND/);
    expect(loaded.stdout).toBe('function');
  });
});
