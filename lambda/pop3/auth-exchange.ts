/**
 * The authentication exchange on the wire. The pure mechanisms (lambda/pop3/auth/) decide
 * what to say; this module says it: SASL AUTH (RFC 5034) with continuations, APOP and
 * USER/PASS (RFC 1939 section 7), and the fallback rule that avoids account lockouts.
 */
import { apopDigest, chooseAuthMethods, createSaslMechanism } from './auth/index.js';
import type { AuthMethod, AuthOffer, AuthPolicy, Credentials, SaslMechanismName } from './auth/types.js';
import type { Pop3Capabilities } from './capabilities.js';
import type { Connection } from './connection.js';
import { StatusDecoder } from './decoders.js';
import { Pop3Error, maskCommand } from './errors.js';
import { escapeServerText } from './escape.js';
import { MAX_AUTH_LINE_OCTETS } from './limits.js';
import { errorCodeForReply, replyError, type StatusReply } from './response.js';

/** What authenticate() needs. */
export interface AuthContext {
  connection: Connection;
  maxLineLength: number;
  capabilities: Pop3Capabilities;
  /** RFC 1939 section 7: the greeting's <timestamp>, enabling APOP. */
  apopTimestamp?: string;
  credentials: Credentials;
  policy: AuthPolicy;
}

/**
 * One attempt refused before any proof of the secret was sent: the mechanism (or the way the
 * server stores the password) does not work here, so the next one may be tried.
 */
class MethodUnavailable extends Error {
  constructor(readonly serverText: string) {
    super('method unavailable');
  }
}

/** What the server said to one method that did not log in. */
interface Attempt {
  method: string;
  serverText: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Logs in with the strongest acceptable method; returns its name. Falls back to the next
 * method when the server refuses one before any proof of the secret was sent (RFC 5034 section
 * 4 lets a server refuse a mechanism at any step; e.g. Dovecot cannot do SCRAM-SHA-256 for a
 * password stored as SHA512-CRYPT and refuses right after the client-first message). A refusal
 * after a proof was sent is final: retrying would risk a lockout. A session-wide refusal
 * ([IN-USE], [LOGIN-DELAY], [SYS/TEMP], [SYS/PERM]) is final at any step. The error says which
 * methods were tried and what the server said to each.
 */
export async function authenticate(ctx: AuthContext): Promise<string> {
  const { policy } = ctx;
  if (!policy.secure && !policy.allowInsecureAuth) {
    throw new Pop3Error('POP3_INSECURE_AUTH_REFUSED', 'refusing to send credentials over an unencrypted connection (set allowInsecureAuth to override)');
  }
  const offer: AuthOffer = {
    sasl: ctx.capabilities.sasl,
    // RFC 1939-only servers (no CAPA) almost always take USER/PASS; try it, PASS is never sent if USER fails.
    user: ctx.capabilities.user || !ctx.capabilities.capaSupported,
    ...(ctx.apopTimestamp === undefined ? {} : { apopTimestamp: ctx.apopTimestamp }),
  };
  let methods: AuthMethod[];
  try {
    methods = chooseAuthMethods(offer, ctx.credentials, policy);
  } catch (error) {
    if (error instanceof Pop3Error) throw error;
    throw new Pop3Error('POP3_AUTH_UNAVAILABLE', 'no authentication method acceptable to both the server and the policy', { cause: error });
  }
  const tried: Attempt[] = [];
  for (const method of methods) {
    const name = methodName(method);
    try {
      await attempt(ctx, method);
      return name;
    } catch (error) {
      if (!(error instanceof MethodUnavailable)) throw withEarlierAttempts(error, name, tried);
      tried.push({ method: name, serverText: error.serverText });
    }
  }
  throw new Pop3Error('POP3_AUTH_UNAVAILABLE',
    `server refused every authentication method tried, each before the password was proven (${tried.map((t) => t.method).join(', ')})`,
    { serverText: describeAttempts(tried) });
}

function methodName(method: AuthMethod): string {
  return method.type === 'sasl' ? method.mechanism : method.type === 'apop' ? 'APOP' : 'USER';
}

/** "SCRAM-SHA-256: [AUTH] Authentication failed. | PLAIN: ..." (server texts already escaped). */
function describeAttempts(tried: readonly Attempt[]): string {
  return tried.map((t) => `${t.method}: ${t.serverText}`).join(' | ');
}

/** The final error, with the methods refused before it named in the message and their replies kept. */
function withEarlierAttempts(error: unknown, method: string, tried: readonly Attempt[]): unknown {
  if (!(error instanceof Pop3Error) || tried.length === 0) return error;
  const all = [...tried, { method, serverText: error.serverText ?? '' }];
  return new Pop3Error(error.code, `${error.message} (${method}; tried before it: ${tried.map((t) => t.method).join(', ')})`, {
    ...(error.command === undefined ? {} : { command: error.command }),
    serverText: describeAttempts(all),
    ...(error.responseCode === undefined ? {} : { responseCode: error.responseCode }),
    cause: error,
  });
}

async function attempt(ctx: AuthContext, method: AuthMethod): Promise<void> {
  if (method.type === 'sasl') return sasl(ctx, method.mechanism);
  if (method.type === 'apop') {
    const password = ctx.credentials.password ?? '';
    const digest = apopDigest(ctx.apopTimestamp ?? '', password);
    const line = `APOP ${ctx.credentials.user} ${digest}`;
    const reply = await command(ctx, line);
    if (reply.kind !== 'ok') throw loginError(reply, line, true);
    return;
  }
  const userLine = `USER ${ctx.credentials.user}`;
  const userReply = await command(ctx, userLine);
  if (userReply.kind !== 'ok') throw loginError(userReply, userLine, false);
  const passLine = `PASS ${ctx.credentials.password ?? ''}`;
  const passReply = await command(ctx, passLine);
  if (passReply.kind !== 'ok') throw loginError(passReply, passLine, true);
}

async function sasl(ctx: AuthContext, name: SaslMechanismName): Promise<void> {
  const mechanism = createSaslMechanism(name, ctx.credentials);
  const initial = mechanism.initialResponse();
  // Whether the initial response carries a proof; it counts only once actually sent.
  const initialIsProof = mechanism.hasSentProof();
  let line = `AUTH ${name}`;
  let pending: string | undefined;
  let proofSent = false;
  if (initial !== null) {
    // RFC 5034 section 4: a zero-length initial response is sent as "=".
    const encoded = initial.length === 0 ? '=' : Buffer.from(initial).toString('base64');
    // RFC 5034 section 4: the initial response goes on the AUTH line only if the whole line
    // (CRLF included) fits in 255 octets; otherwise wait for an empty "+ " challenge.
    if (line.length + 1 + encoded.length + 2 <= MAX_AUTH_LINE_OCTETS) {
      line = `${line} ${encoded}`;
      proofSent = initialIsProof;
    } else {
      pending = encoded;
    }
  }
  let reply = await command(ctx, line, true);
  if (pending !== undefined && reply.kind === 'continue') {
    proofSent = initialIsProof;
    reply = await command(ctx, pending, true);
  }
  while (reply.kind === 'continue') {
    const challenge = reply.text.trim();
    let response: Uint8Array;
    try {
      if (!BASE64.test(challenge)) {
        throw new Pop3Error('POP3_PROTOCOL', 'server SASL challenge is not valid base64');
      }
      response = mechanism.respond(Buffer.from(challenge, 'base64'));
    } catch (error) {
      // RFC 5034 section 4: "*" cancels the exchange; the server answers -ERR.
      await command(ctx, '*', true).catch(() => undefined);
      throw asAuthError(error, `SASL ${name} exchange failed`);
    }
    proofSent ||= mechanism.hasSentProof();
    reply = await command(ctx, response.length === 0 ? '' : Buffer.from(response).toString('base64'), true);
  }
  if (reply.kind === 'err') throw loginError(reply, line, proofSent, mechanism.failureDetail?.());
  if (!mechanism.isComplete()) {
    // SCRAM: the server said +OK without proving it knows the password (RFC 5802 section 5):
    // whoever answered is not the real server.
    throw new Pop3Error('POP3_AUTH_FAILED', `server accepted ${name} without completing the exchange (server not verified)`, {
      command: line,
    });
  }
}

async function command(ctx: AuthContext, line: string, allowContinuation = false): Promise<StatusReply> {
  const decoder = ctx.connection.send(line, new StatusDecoder(maskCommand(line), ctx.maxLineLength, { allowContinuation }));
  return decoder.result;
}

/**
 * -ERR during login. Session-wide codes ([IN-USE], [LOGIN-DELAY], [SYS/TEMP], [SYS/PERM]) always
 * stop; any other -ERR before a proof of the secret was sent means "method unavailable here",
 * try the next one; after a proof it is final. `detail` is the mechanism's reading of an error
 * challenge (e.g. XOAUTH2's status and scope).
 */
function loginError(reply: StatusReply, line: string, proofSent: boolean, detail?: string): Error {
  const code = errorCodeForReply(reply, 'POP3_AUTH_FAILED');
  if (!proofSent && code === 'POP3_AUTH_FAILED') {
    return new MethodUnavailable(escapeServerText((reply.responseCode === undefined ? '' : `[${reply.responseCode}] `) + reply.text));
  }
  if (code !== 'POP3_AUTH_FAILED') return replyError(reply, line, code);
  const [verb = '', mechanism = ''] = line.toUpperCase().split(' ');
  const what = verb === 'AUTH' && (mechanism === 'XOAUTH2' || mechanism === 'OAUTHBEARER') ? 'the access token' : 'the credentials';
  return replyError(reply, line, code, `server rejected ${what}${detail === undefined ? '' : ` (${detail})`}`);
}

function asAuthError(error: unknown, message: string): Error {
  if (error instanceof Pop3Error) return error;
  return new Pop3Error('POP3_AUTH_FAILED', message, { cause: error });
}
