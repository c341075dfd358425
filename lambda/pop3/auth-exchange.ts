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

/** One attempt's outcome when it did not log in. */
class MethodUnavailable extends Error {}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Logs in with the strongest acceptable method; returns its name. Falls back to the next
 * method only when the server says the method is unavailable before any credential was sent;
 * a rejection after credentials were sent is final (retrying would risk a lockout).
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
  const tried: string[] = [];
  for (const method of methods) {
    const name = methodName(method);
    try {
      await attempt(ctx, method);
      return name;
    } catch (error) {
      if (!(error instanceof MethodUnavailable)) throw error;
      tried.push(name);
    }
  }
  throw new Pop3Error('POP3_AUTH_UNAVAILABLE', `server refused every authentication method tried (${tried.join(', ')})`);
}

function methodName(method: AuthMethod): string {
  return method.type === 'sasl' ? method.mechanism : method.type === 'apop' ? 'APOP' : 'USER';
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
  let line = `AUTH ${name}`;
  let pending: string | undefined;
  let credentialsSent = false;
  if (initial !== null) {
    // RFC 5034 section 4: a zero-length initial response is sent as "=".
    const encoded = initial.length === 0 ? '=' : Buffer.from(initial).toString('base64');
    // RFC 5034 section 4: the initial response goes on the AUTH line only if the whole line
    // (CRLF included) fits in 255 octets; otherwise wait for an empty "+ " challenge.
    if (line.length + 1 + encoded.length + 2 <= MAX_AUTH_LINE_OCTETS) {
      line = `${line} ${encoded}`;
      credentialsSent = true;
    } else {
      pending = encoded;
    }
  }
  let reply = await command(ctx, line, true);
  if (pending !== undefined && reply.kind === 'continue') {
    credentialsSent = true;
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
    credentialsSent = true;
    reply = await command(ctx, response.length === 0 ? '' : Buffer.from(response).toString('base64'), true);
  }
  if (reply.kind === 'err') throw loginError(reply, line, credentialsSent);
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
 * -ERR during login. Typed codes ([IN-USE], [LOGIN-DELAY], [SYS/TEMP], [SYS/PERM], [AUTH]) always
 * stop; an -ERR before any credential was sent means "method unavailable", try the next one.
 */
function loginError(reply: StatusReply, line: string, credentialsSent: boolean): Error {
  const code = errorCodeForReply(reply, 'POP3_AUTH_FAILED');
  if (!credentialsSent && reply.responseCode === undefined) return new MethodUnavailable();
  return replyError(reply, line, code, code === 'POP3_AUTH_FAILED' ? 'server rejected the credentials' : undefined);
}

function asAuthError(error: unknown, message: string): Error {
  if (error instanceof Pop3Error) return error;
  return new Pop3Error('POP3_AUTH_FAILED', message, { cause: error });
}
