/**
 * What `pop3-ingest check` found: the facts (probe.ts) and the verdicts (diagnose.ts). This is
 * also the `--json` document, so field names are part of the CLI's interface.
 */

/** The peer certificate, as a user setting up needs to see it. */
export interface CertificateReport {
  subject: string;
  issuer: string;
  /** Subject alternative names, as Node prints them ("DNS:localhost, IP Address:127.0.0.1"). */
  subjectAltName?: string;
  validFrom: string;
  validTo: string;
  /** Whole days until validTo (negative: expired). */
  daysLeft: number;
  /** SHA-256 of the whole certificate, colon hex (what browsers show). */
  fingerprint256: string;
  /** base64 SHA-256 of the SubjectPublicKeyInfo: what --pin / tls.pinSha256 take. */
  pinSha256: string;
}

/** The negotiated TLS session. */
export interface TlsReport {
  protocol: string;
  cipher: string;
  certificate?: CertificateReport;
  /** false: read without verification after the verified connection was refused (shown, never trusted). */
  verified?: boolean;
}

/** The capabilities as we read them (CAPA). */
export interface CapabilityReport {
  capaSupported: boolean;
  pipelining: boolean;
  uidl: boolean;
  top: boolean;
  user: boolean;
  stls: boolean;
  respCodes: boolean;
  sasl: string[];
  expire?: number | 'never';
  loginDelaySeconds?: number;
  implementation?: string;
  names: string[];
}

/** Outcome of one thing we actually tried on the server. */
export type ProbeOutcome = 'ok' | 'failed' | 'not-tried';

/** One verdict: what is wrong (or fine) and how to fix it. */
export interface Finding {
  level: 'error' | 'warning' | 'info';
  /** Stable id for scripts, e.g. "no-uidl", "cert-expires-soon". */
  id: string;
  message: string;
  fix?: string;
}

/** The whole `check` result. */
export interface CheckReport {
  target: { host: string; port: number; tls: 'implicit' | 'starttls' | 'none'; servername?: string };
  /** The mailbox's delete policy as written ('never', 'after-store', 'after-days:N'): EXPIRE is judged against it. */
  deletePolicy: string;
  connected: boolean;
  /** Milliseconds from connect to the greeting (including TLS for implicit TLS). */
  connectMs?: number;
  greeting?: string;
  tls?: TlsReport;
  /** CAPA before login (after STLS when starttls). */
  capabilities?: CapabilityReport;
  /** CAPA after login (servers often advertise more, RFC 2449 section 5). */
  capabilitiesAfterLogin?: CapabilityReport;
  /** Methods offered for login: SASL mechanisms, plus USER and APOP. */
  authMethods: string[];
  login: { attempted: boolean; ok?: boolean; method?: string; error?: { code: string; category: string; message: string } };
  stat?: { messages: number; octets: number };
  probes: { uidl: ProbeOutcome; top: ProbeOutcome; pipelining: ProbeOutcome };
  /** NOOP round trip, median of a few, milliseconds. */
  rttMs?: number;
  error?: { code: string; category: string; message: string };
  findings: Finding[];
}
