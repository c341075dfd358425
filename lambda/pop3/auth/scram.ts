/**
 * SCRAM-SHA-256 client (RFC 5802, RFC 7677), without channel binding (gs2 flag "n": we do not
 * implement the -PLUS variant). The server must prove it knows the salted password: a wrong or
 * missing server signature fails the login even after the server said +OK (isComplete()).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Pop3Error } from '../errors.js';
import { escapeServerText } from '../escape.js';
import { saslprep } from './saslprep.js';
import type { SaslMechanism } from './types.js';

/** RFC 7677 section 4: a server SHOULD announce at least 4096 iterations; fewer weakens the proof. */
export const MIN_SCRAM_ITERATIONS = 4096;
/** A hostile server could ask for billions of PBKDF2 rounds to burn our CPU time. */
export const MAX_SCRAM_ITERATIONS = 1_000_000;

/** Test hooks: the RFC 7677 example needs its fixed client nonce. */
export interface ScramOptions {
  /** Printable ASCII without ','. Default: 24 random bytes, base64. */
  clientNonce?: string;
  /** Default MIN_SCRAM_ITERATIONS. */
  minIterations?: number;
}

const GS2_HEADER = 'n,,';
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

type State = 'initial' | 'sent-first' | 'sent-final' | 'done';

/** Creates a SCRAM-SHA-256 mechanism for user/password. */
export function createScramSha256(user: string, password: string, options: ScramOptions = {}): SaslMechanism {
  const username = escapeSaslName(saslprep(user, 'user name'));
  const preparedPassword = saslprep(password, 'password');
  const clientNonce = options.clientNonce ?? randomBytes(24).toString('base64');
  if (!/^[\x21-\x2b\x2d-\x7e]+$/.test(clientNonce)) throw new Error('SCRAM client nonce must be printable ASCII without ","');
  const minIterations = options.minIterations ?? MIN_SCRAM_ITERATIONS;
  const clientFirstBare = `n=${username},r=${clientNonce}`;
  let state: State = 'initial';
  let expectedServerSignature: Buffer | undefined;
  /** Set only after the server signature matched: the one thing isComplete() reports. */
  let verified = false;

  const fail = (message: string, challenge?: string): never => {
    state = 'done';
    throw new Pop3Error('POP3_AUTH_FAILED', `SCRAM-SHA-256: ${message}`,
      challenge === undefined ? {} : { serverText: escapeServerText(challenge) });
  };

  const answerServerFirst = (serverFirst: string): Uint8Array => {
    const attrs = parseAttributes(serverFirst);
    // RFC 5802 section 5.1: a mandatory extension ("m") we do not understand fails the exchange.
    if (attrs === undefined || attrs.has('m')) return fail('malformed server-first-message', serverFirst);
    const nonce = attrs.get('r');
    const saltB64 = attrs.get('s');
    const iterText = attrs.get('i');
    if (nonce === undefined || saltB64 === undefined || iterText === undefined) return fail('server-first-message lacks r, s or i', serverFirst);
    // RFC 5802 section 5.1: the server's nonce starts with ours and adds its own part.
    if (!nonce.startsWith(clientNonce) || nonce.length <= clientNonce.length || !/^[\x21-\x2b\x2d-\x7e]+$/.test(nonce)) {
      return fail('server nonce does not extend the client nonce (replay or forgery)', serverFirst);
    }
    if (!/^[1-9][0-9]{0,9}$/.test(iterText)) return fail('invalid iteration count', serverFirst);
    const iterations = Number(iterText);
    if (iterations < minIterations) return fail(`iteration count ${iterations} below the minimum ${minIterations} (RFC 7677 section 4)`);
    if (iterations > MAX_SCRAM_ITERATIONS) return fail(`iteration count ${iterations} above the maximum ${MAX_SCRAM_ITERATIONS}`);
    const salt = strictBase64(saltB64);
    if (salt === undefined || salt.length === 0) return fail('invalid salt', serverFirst);

    const saltedPassword = pbkdf2Sync(preparedPassword, salt, iterations, 32, 'sha256');
    const clientKey = hmac(saltedPassword, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const clientFinalWithoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`;
    const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
    const clientSignature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = (clientKey[i] as number) ^ (clientSignature[i] as number);
    expectedServerSignature = hmac(hmac(saltedPassword, 'Server Key'), authMessage);
    state = 'sent-final';
    return enc.encode(`${clientFinalWithoutProof},p=${proof.toString('base64')}`);
  };

  const verifyServerFinal = (serverFinal: string): Uint8Array => {
    const attrs = parseAttributes(serverFinal);
    const error = attrs?.get('e');
    if (error !== undefined) return fail(`server reported error "${escapeServerText(error, 60)}"`);
    const verifier = attrs?.get('v');
    const signature = verifier === undefined ? undefined : strictBase64(verifier);
    if (signature === undefined || expectedServerSignature === undefined) return fail('malformed server-final-message', serverFinal);
    if (signature.length !== expectedServerSignature.length || !timingSafeEqual(signature, expectedServerSignature)) {
      return fail('server signature mismatch: the server does not know the password (man in the middle?)');
    }
    state = 'done';
    verified = true;
    // RFC 5034 section 4: POP3 has no "additional data with success"; the server sends the
    // server-final-message as a challenge and the client answers with an empty response.
    return new Uint8Array(0);
  };

  return {
    name: 'SCRAM-SHA-256',
    initialResponse() {
      if (state !== 'initial') return fail('initial response requested twice');
      state = 'sent-first';
      return enc.encode(GS2_HEADER + clientFirstBare);
    },
    respond(challenge) {
      let text: string;
      try {
        text = dec.decode(challenge);
      } catch {
        return fail('challenge is not UTF-8', Buffer.from(challenge).toString('latin1'));
      }
      if (state === 'sent-first') return answerServerFirst(text);
      if (state === 'sent-final') return verifyServerFinal(text);
      return fail(`unexpected challenge in state ${state}`, text);
    },
    isComplete: () => verified,
    // The client-first message carries only the user name and a nonce; the proof goes in the
    // client-final message (RFC 5802 section 3).
    hasSentProof: () => state === 'sent-final' || state === 'done',
  };
}

/** RFC 5802 section 5.1: "=" and "," in a saslname are written =3D and =2C. */
function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** Parses "a=value,b=value": one-letter keys, no duplicates; undefined when malformed. */
function parseAttributes(message: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const match = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!match) return undefined;
    const [, key = '', value = ''] = match;
    if (out.has(key)) return undefined;
    out.set(key, value);
  }
  return out;
}

/**
 * Decodes canonical base64 only: Buffer.from silently skips garbage and ignores padding bits,
 * so "...G4=" and "...G5=" would decode alike. Re-encoding must give the text back.
 */
function strictBase64(text: string): Buffer | undefined {
  const decoded = Buffer.from(text, 'base64');
  return decoded.toString('base64') === text ? decoded : undefined;
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
