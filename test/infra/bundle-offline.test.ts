/**
 * Threat: the stack only deploys on the author's machine (Docker needed, network needed, the SDK
 * version left to the runtime, CommonJS `require` crashing an ESM bundle at cold start); or the
 * deployed bundle loses its class names, so `errorType` in logs and the DLQ reads `av`.
 * This test really bundles the handler with the local esbuild, like `cdk synth` does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { validateDeployConfig } from '../../infra/deploy-config.js';
import { Pop3IngestStack } from '../../infra/stack.js';
import { sampleConfig } from './synth.js';

const outdir = mkdtempSync(join(tmpdir(), 'pop3-ingest-cdk-'));
const root = fileURLToPath(new URL('../..', import.meta.url));
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
    // No source map by default (sourceMaps: false): nothing for Node to parse at cold start.
    expect(readdirSync(dir).sort()).toEqual(['chunks', 'handler.mjs', 'pop3-ingest.config.json']);
    // Only code in chunks/: the handler's lazily imported parts (the MIME parser) and shared ones.
    const chunks = readdirSync(join(dir, 'chunks'));
    expect(chunks.every((f) => f.endsWith('.mjs'))).toBe(true);
    expect(chunks.some((f) => f.startsWith('parse-step-'))).toBe(true);
    const handlerCode = readFileSync(join(dir, 'handler.mjs'), 'utf8');
    // The parser stays out of the file a cold start reads: loaded only for a mailbox with parse.
    expect(handlerCode).not.toContain('windows-1251');
    expect(readFileSync(join(dir, 'chunks', chunks.find((f) => f.startsWith('parse-step-')) ?? ''), 'utf8')).toContain('windows-1251');
    const code = [handlerCode, ...chunks.map((f) => readFileSync(join(dir, 'chunks', f), 'utf8'))].join('\n');
    expect(code.startsWith("import { createRequire as __pop3CreateRequire } from 'node:module';")).toBe(true);
    // The default credential chain is replaced (Lambda passes credentials in the environment).
    expect(code).not.toContain('credential-provider-sso');
    // The AWS SDK is bundled, not imported from the runtime's copy.
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    // The EventBridge client's PutEvents schema (class names are minified: keepNames is off).
    expect(code).toContain('PutEventsRequest');
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    expect(existsSync(join(outdir, 'Pop3Ingest.template.json'))).toBe(true);

    // The configuration rides in the bundle (the copy hook ran), not in the 4 KB environment.
    const template = JSON.parse(readFileSync(join(outdir, 'Pop3Ingest.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    const variables = (fn?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.POP3_INGEST_CONFIG_FILE).toBe('/var/task/pop3-ingest.config.json');
    expect(variables.POP3_INGEST_CONFIG).toBeUndefined();

    // The bundle loads as ESM in a bare Node (no node_modules next to it), the way Lambda loads it,
    // and reads the shipped file (the local path stands in for /var/task): an unknown mailbox id
    // is answered with the ids the file configures.
    const probe = `
      const { handler, RetryableInvocationError } = await import('./handler.mjs');
      const names = [RetryableInvocationError.name, new RetryableInvocationError([]).name];
      const context = { functionName: 'f', awsRequestId: 'r-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:1:function:f',
        memoryLimitInMB: '128', getRemainingTimeInMillis: () => 30000 };
      const result = await handler({ mailboxId: 'nope' }, context);
      process.stdout.write('\\nNAMES ' + JSON.stringify(names) + '\\nRESULT ' + typeof handler + ' ' + JSON.stringify(result) + '\\n');`;
    const loaded = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        POP3_INGEST_CONFIG_FILE: join(dir, 'pop3-ingest.config.json'),
        POP3_INGEST_BUCKET: 'bundle-test',
        POP3_INGEST_EVENT_BUS: 'bundle-test',
        AWS_REGION: 'us-east-1',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(loaded.stderr).not.toMatch(/ReferenceError|require is not defined|ERR_MODULE_NOT_FOUND/);
    // The parser's chunk loads in the same bare Node (its CommonJS dependencies through the banner's require).
    const parseChunk = chunks.find((f) => f.startsWith('parse-step-')) ?? '';
    const parser = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import('./chunks/${parseChunk}'); process.stdout.write('EXPORTS ' + Object.keys(m).length);`], {
      cwd: dir, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 30_000,
    });
    expect(parser.stderr).toBe('');
    expect(parser.stdout).toMatch(/^EXPORTS [1-9]/);
    // The error class is called by its name in the bundle Lambda runs (keepClassName, without keepNames).
    expect(JSON.parse(loaded.stdout.split('\n').find((l) => l.startsWith('NAMES '))?.slice('NAMES '.length) ?? 'null')).toEqual(['RetryableInvocationError', 'RetryableInvocationError']);
    const line = loaded.stdout.split('\n').find((l) => l.startsWith('RESULT function '));
    expect(JSON.parse(line?.slice('RESULT function '.length) ?? 'null')).toMatchObject({
      error: { code: 'MAILBOX_UNKNOWN', message: expect.stringContaining('configured: support, invoices') as string },
    });
  });

  it('is byte for byte what `npm run bundle` builds: one bundling configuration, not two', { timeout: 120_000 }, () => {
    // Prepare: the construct's asset from the first test's synth
    const asset = readdirSync(outdir).find((d) => d.startsWith('asset.')) ?? '';
    // Two levels under the root, like dist/bundle and the construct's own build directory.
    mkdirSync(join(root, 'dist'), { recursive: true });
    const scriptOut = mkdtempSync(join(root, 'dist', '.bundle-test-'));

    // Act
    const run = spawnSync(process.execPath, [join(root, 'scripts', 'bundle.mjs'), '--outdir', scriptOut, '--no-measure'], { cwd: root, encoding: 'utf8' });

    // Assess: the handler and every chunk the same bytes
    try {
      expect(run.status, run.stderr).toBe(0);
      const shipped = ['handler.mjs', ...readdirSync(join(outdir, asset, 'chunks')).map((f) => `chunks/${f}`)];
      expect(readdirSync(join(scriptOut, 'chunks')).filter((f) => f.endsWith('.mjs')).sort()).toEqual(shipped.slice(1).map((f) => f.slice('chunks/'.length)).sort());
      for (const file of shipped) expect(readFileSync(join(scriptOut, file)).equals(readFileSync(join(outdir, asset, file))), file).toBe(true);
    } finally {
      rmSync(scriptOut, { recursive: true, force: true });
    }
  });

  it('gives each poller of one app its own config (no stale bundling cache between two configs)', { timeout: 120_000 }, () => {
    // Prepare: a fleet split over two stacks in one app shares cdk.out and the bundling cache.
    const otherOut = join(outdir, 'split');
    const app = new App({ outdir: otherOut });
    const [first] = sampleConfig().mailboxes as unknown[];
    new Pop3IngestStack(app, 'Both', { deployConfig: validateDeployConfig(sampleConfig(), 'two mailboxes') });
    new Pop3IngestStack(app, 'One', { deployConfig: validateDeployConfig({ ...sampleConfig(), mailboxes: [first] }, 'one mailbox') });

    // Act
    app.synth();

    // Assess: two code hashes (so a config change redeploys), each bundle with its own config.
    const assets = readdirSync(otherOut).filter((d) => d.startsWith('asset.'));
    expect(assets).toHaveLength(2);
    const shipped = assets.map((a) => (JSON.parse(readFileSync(join(otherOut, a, 'pop3-ingest.config.json'), 'utf8')) as { mailboxes: { id: string }[] }).mailboxes.map((m) => m.id).join(','));
    expect(shipped.sort()).toEqual(['support', 'support,invoices']);
  });
});
