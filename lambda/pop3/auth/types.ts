/**
 * Authentication vocabulary shared by the session (which runs the exchange on the wire) and the
 * pure mechanism modules (which compute what to say). Mechanisms never touch a socket.
 */

/** What the user gave us. Validated on construction: no CR, LF or NUL (see validateCredentials). */
export interface Credentials {
  user: string;
  /** For PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256, APOP, USER/PASS. */
  password?: string;
  /** For XOAUTH2 and OAUTHBEARER. */
  accessToken?: string;
}

/** One way to log in, as offered by the server and allowed by policy. */
export type AuthMethod =
  | { type: 'sasl'; mechanism: SaslMechanismName }
  | { type: 'apop' }
  | { type: 'user' };

/** The SASL mechanisms we implement, strongest first. */
export type SaslMechanismName = 'SCRAM-SHA-256' | 'OAUTHBEARER' | 'XOAUTH2' | 'CRAM-MD5' | 'PLAIN' | 'LOGIN';

/** What the server offered, distilled from CAPA and the greeting. */
export interface AuthOffer {
  /** SASL mechanisms from the CAPA "SASL" line, upper-cased. */
  sasl: readonly string[];
  /** CAPA advertised USER. */
  user: boolean;
  /** RFC 1939 section 7: the <...> timestamp in the greeting, when present. */
  apopTimestamp?: string;
}

/** The user's policy for choosing among what is offered. */
export interface AuthPolicy {
  /** Restrict to these methods ('SCRAM-SHA-256', ..., 'APOP', 'USER'); undefined: all we support. */
  allowed?: readonly string[];
  /** The connection is TLS-protected (implicit TLS or after STLS). */
  secure: boolean;
  /** Explicit opt-in to send credentials over plaintext. */
  allowInsecureAuth: boolean;
}

/** A client-side SASL mechanism (RFC 4422) as a pure state machine. */
export interface SaslMechanism {
  readonly name: SaslMechanismName;
  /** The initial response (RFC 5034 section 4), or null when the mechanism waits for a challenge. */
  initialResponse(): Uint8Array | null;
  /** Answers one decoded server challenge. Throws an auth error on a malformed or forged challenge. */
  respond(challenge: Uint8Array): Uint8Array;
  /** True once the mechanism has verified the server (SCRAM) or needs nothing more; checked at +OK. */
  isComplete(): boolean;
  /**
   * True once a message this mechanism produced carries the secret or a proof derived from it
   * (PLAIN's password, CRAM-MD5's digest, SCRAM's client-final, a bearer token). A refusal
   * before that is about the mechanism, not the password: the next mechanism may be tried.
   */
  hasSentProof(): boolean;
  /** What the server explained in an error challenge (bearer tokens: status and scope), escaped. */
  failureDetail?(): string | undefined;
}
