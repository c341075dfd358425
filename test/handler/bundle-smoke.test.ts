/**
 * The esbuild bundle is what Lambda runs: it must load as ESM on plain Node (the createRequire
 * banner), create its clients at init, and answer an invocation without a configuration with a
 * reported error instead of a crash.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pop3-ingest-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the Lambda bundle', () => {
  it('builds, loads as ESM and reports a missing configuration without throwing', () => {
    // Prepare
    const outfile = join(dir, 'handler.mjs');
    execFileSync(process.execPath, [join(root, 'scripts', 'bundle.mjs'), '--outfile', outfile, '--no-measure'], { cwd: root, stdio: 'pipe' });
    expect(statSync(outfile).size).toBeGreaterThan(100_000);
    expect(statSync(`${outfile}.map`).size).toBeGreaterThan(0);
    const probe = `
      const { handler } = await import(${JSON.stringify(outfile)});
      const context = { functionName: 'f', awsRequestId: 'r-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:1:function:f',
        memoryLimitInMB: '128', getRemainingTimeInMillis: () => 30000 };
      const result = await handler({ mailboxId: '*' }, context);
      process.stdout.write('\\nRESULT ' + JSON.stringify(result) + '\\n');`;
    // Act
    const env = { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', POWERTOOLS_SERVICE_NAME: 'bundle-smoke' };
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    // Assess
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    expect(JSON.parse(line?.slice('RESULT '.length) ?? 'null')).toMatchObject({
      requestId: 'r-1',
      summaries: [],
      error: { code: 'CONFIG_MISSING', category: 'permanent', retryable: false },
    });
  });
});
