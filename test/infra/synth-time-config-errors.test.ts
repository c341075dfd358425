/**
 * Threat: a configuration mistake (or a plaintext secret) reaches AWS and fails at 3 a.m. on the
 * first poll, or worse, works insecurely. `cdk synth` must refuse it and name the field and the fix.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { loadDeployConfig, validateDeployConfig } from '../../infra/deploy-config.js';
import { ConfigError } from '../../lambda/config/schema.js';
import { thrownBy } from '../support/async-results.js';
import { sampleConfig, synthPoller } from './synth.js';

function withFirstMailbox(change: Record<string, unknown>): Record<string, unknown> {
  const config = sampleConfig();
  const [first, ...rest] = config.mailboxes as Record<string, unknown>[];
  return { ...config, mailboxes: [{ ...first, ...change }, ...rest] };
}

describe('config validated at synth time', () => {
  it('rejects an invalid field with the runtime\'s own message naming its path', () => {
    const error = thrownBy(() => validateDeployConfig(withFirstMailbox({ tls: { mode: 'ssl' } }), 'mailboxes.json'), ConfigError);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('mailboxes.json');
    expect(error.message).toContain('mailboxes[0].tls.mode');
  });

  it('rejects a password in an environment variable: it would sit in clear in the function configuration', () => {
    const error = thrownBy(() => validateDeployConfig(withFirstMailbox({ auth: { user: 'u', secret: { env: 'POP3_PASSWORD' } } })), ConfigError);
    expect(error.issues.map((i) => i.path)).toEqual(['mailboxes[0].auth.secret.env']);
    expect(error.message).toMatch(/Secrets Manager/);
  });

  it('rejects secret files and CA files, which the Lambda bundle does not carry', () => {
    const error = thrownBy(
      () => validateDeployConfig(withFirstMailbox({ auth: { user: 'u', secret: { file: '/etc/pop3/password' } }, tls: { caFile: '/etc/pop3/ca.pem' } })),
      ConfigError,
    );
    expect(error.issues.map((i) => i.path).sort()).toEqual(['mailboxes[0].auth.secret.file', 'mailboxes[0].tls.caFile']);
  });

  it('fails the construct, not the deployment, on a bad config', () => {
    expect(() => synthPoller({ config: { mailboxes: [] } })).toThrow(ConfigError);
  });

  it('names the file and how to pass another one when the config file is missing', () => {
    const error = thrownBy(() => loadDeployConfig('/nonexistent/mailboxes.json'), ConfigError);
    expect(error.code).toBe('CONFIG_UNREADABLE');
    expect(error.message).toContain('-c config=');
  });

  it('reports invalid JSON with the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pop3-ingest-infra-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ "mailboxes": [ }');
    const error = thrownBy(() => loadDeployConfig(file), ConfigError);
    expect(error.message).toContain(file);
  });

  it('refuses a config too large for the 4 KB Lambda environment when it must travel inline (prebuilt code), before deploying', () => {
    const config = sampleConfig();
    const template = (config.mailboxes as Record<string, unknown>[])[0] ?? {};
    const many = Array.from({ length: 30 }, (_, i) => ({ ...template, id: `box-${i}` }));
    const { stack } = synthPoller({ config: { ...config, mailboxes: many } });
    Annotations.fromStack(stack).hasError('*', Match.stringLikeRegexp('4096-byte limit'));
  });

  it('makes `cdk synth` exit 1 with the field and the fix, not a stack trace', { timeout: 60_000 }, () => {
    // Prepare: what the CDK CLI does: run the app with the context in CDK_CONTEXT_JSON.
    const dir = mkdtempSync(join(tmpdir(), 'pop3-ingest-app-'));
    const file = join(dir, 'mailboxes.json');
    writeFileSync(file, JSON.stringify(withFirstMailbox({ auth: { user: 'u', secret: { env: 'POP3_PASSWORD' } } })));
    const repo = fileURLToPath(new URL('../..', import.meta.url));

    // Act
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: repo,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: file }), CDK_OUTDIR: join(dir, 'out') },
      encoding: 'utf8',
    });
    rmSync(dir, { recursive: true, force: true });

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('mailboxes[0].auth.secret.env');
    expect(result.stderr).toContain('Secrets Manager');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
