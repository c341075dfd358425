/**
 * CAPA reply parser (RFC 2449 section 5 and 6). Bounded: the caller's decoder already caps the
 * number of lines; here each line is interpreted, unknown capabilities are kept by name only.
 */
import { escapeServerText } from './escape.js';

/** What the server advertised in CAPA. */
export interface Pop3Capabilities {
  /** False when the server refused CAPA (RFC 1939-only servers): everything below is unknown. */
  capaSupported: boolean;
  pipelining: boolean;
  uidl: boolean;
  top: boolean;
  user: boolean;
  stls: boolean;
  respCodes: boolean;
  authRespCode: boolean;
  /** RFC 6856 UTF8: the server can send messages with UTF-8 headers as delivered, once asked. */
  utf8: boolean;
  /** SASL mechanisms, upper-cased, in the order offered. */
  sasl: string[];
  /** RFC 2449 section 6.7: days retrieved mail is kept, 'never', or undefined. */
  expire?: number | 'never';
  /** RFC 2449 section 6.5: minimum seconds between logins. */
  loginDelaySeconds?: number;
  /** IMPLEMENTATION text, escaped (server text). */
  implementation?: string;
  /** Every capability name seen, upper-cased. */
  names: string[];
}

/** The capabilities of a server that refused CAPA: nothing assumed. */
export function unknownCapabilities(): Pop3Capabilities {
  return {
    capaSupported: false, pipelining: false, uidl: false, top: false, user: false, stls: false,
    respCodes: false, authRespCode: false, utf8: false, sasl: [], names: [],
  };
}

const MAX_SASL_MECHANISMS = 64;

/** Parses the (already unstuffed) lines of a CAPA body. */
export function parseCapabilities(lines: readonly string[]): Pop3Capabilities {
  const caps = unknownCapabilities();
  caps.capaSupported = true;
  for (const raw of lines) {
    const words = raw.trim().split(/[ \t]+/);
    const name = (words[0] ?? '').toUpperCase();
    if (name === '') continue;
    caps.names.push(name);
    const args = words.slice(1);
    switch (name) {
      case 'PIPELINING': caps.pipelining = true; break;
      case 'UIDL': caps.uidl = true; break;
      case 'TOP': caps.top = true; break;
      case 'USER': caps.user = true; break;
      case 'STLS': caps.stls = true; break;
      case 'RESP-CODES': caps.respCodes = true; break;
      case 'AUTH-RESP-CODE': caps.authRespCode = true; break;
      case 'UTF8': caps.utf8 = true; break;
      case 'SASL':
        for (const mech of args.slice(0, MAX_SASL_MECHANISMS)) {
          const upper = mech.toUpperCase();
          if (/^[A-Z0-9_-]{1,20}$/.test(upper) && !caps.sasl.includes(upper)) caps.sasl.push(upper);
        }
        break;
      case 'EXPIRE': {
        // RFC 2449 section 6.7: "EXPIRE" SP ("NEVER" / 1*DIGIT) [SP "USER"]
        const value = (args[0] ?? '').toUpperCase();
        if (value === 'NEVER') caps.expire = 'never';
        else if (/^\d{1,6}$/.test(value)) caps.expire = Number(value);
        break;
      }
      case 'LOGIN-DELAY': {
        const value = args[0] ?? '';
        if (/^\d{1,9}$/.test(value)) caps.loginDelaySeconds = Number(value);
        break;
      }
      case 'IMPLEMENTATION':
        caps.implementation = escapeServerText(raw.trim().slice('IMPLEMENTATION'.length).trim(), 200);
        break;
      default:
        break;
    }
  }
  return caps;
}
