/**
 * A secret value that cannot leak by accident: it stringifies, serialises and inspects as
 * "[redacted]" everywhere (logs, errors, events, stack traces). Only `.reveal()` gives the value,
 * and only the code that puts it on the wire (the POP3 authenticator, the token request) calls it.
 */

const REDACTED = '[redacted]';

/** A wrapped secret string; `reveal()` is the one way to read it. */
export class Secret {
  // A true private field: not enumerable, not visible to JSON.stringify, structuredClone or inspect.
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    Object.freeze(this);
  }

  /** The secret itself. Call only where it is sent, never to log or compare. */
  reveal(): string {
    return this.#value;
  }

  /** True when both hold the same value (without revealing either to the caller). */
  equals(other: Secret | undefined): boolean {
    return other !== undefined && other.#value === this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

/** Wraps a string as a Secret; undefined stays undefined. */
export function secretOrUndefined(value: string | undefined): Secret | undefined {
  return value === undefined ? undefined : new Secret(value);
}
