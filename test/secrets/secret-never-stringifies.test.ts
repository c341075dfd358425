import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../lambda/adapters/secrets/secret.js';

const VALUE = 'hunter2-S3cr3t!';

describe('a Secret never turns into its value by accident', () => {
  const secret = new Secret(VALUE);

  it('reveals the value only through reveal()', () => {
    expect(secret.reveal()).toBe(VALUE);
  });

  it.each([
    ['String()', () => String(secret)],
    ['template literal', () => `${secret}`],
    ['concatenation', () => 'pw=' + secret],
    ['JSON.stringify', () => JSON.stringify({ password: secret, nested: [secret] })],
    ['util.inspect', () => inspect({ secret }, { showHidden: true, depth: 10 })],
    ['util.inspect of the Secret itself', () => inspect(secret, { showHidden: true })],
    ['an error message and stack', () => { const e = new Error(`failed with ${secret}`, { cause: secret }); return `${e.stack} ${inspect(e)}`; }],
  ])('prints [redacted] through %s', (_how, render) => {
    // Act
    const out = render();
    // Assess
    expect(out).not.toContain(VALUE);
    expect(out).toContain('[redacted]');
  });

  it.each([
    ['Object.entries', () => JSON.stringify(Object.entries(secret))],
    ['structuredClone (the private field does not travel)', () => inspect(structuredClone({ s: secret }))],
    ['Object spread', () => JSON.stringify({ ...secret })],
  ])('carries nothing through %s', (_how, render) => {
    expect(render()).not.toContain(VALUE);
  });

  it('is frozen, so nobody can attach the value as a plain property', () => {
    expect(Object.isFrozen(secret)).toBe(true);
  });

  it('compares without revealing', () => {
    expect(secret.equals(new Secret(VALUE))).toBe(true);
    expect(secret.equals(new Secret('other'))).toBe(false);
    expect(secret.equals(undefined)).toBe(false);
  });
});
