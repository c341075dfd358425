/**
 * What the runner asks a contender child to do, and what the child answers: the JSON that
 * crosses the process boundary (bench/contender.ts). Kept free of imports so the child loads
 * nothing it does not need; the spawning side is bench/contender-runner.ts.
 */

/**
 * `engine` (ours only): path of an alternative compiled engine entry (an index.js exporting
 * connectPop3), to measure a candidate fix against the same run; default dist/lambda/pop3/index.js.
 */

/** A mailbox to read: implicit TLS when `ca` is set, plaintext USER/PASS otherwise. */
export interface BenchTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** PEM of the only CA to trust (implicit TLS, RFC 8314). */
  ca?: string;
}

/** One run of one contender. */
export type ContenderSpec =
  | { kind: 'ours-all'; target: BenchTarget; engine?: string }
  | { kind: 'raw-all'; target: BenchTarget; window: number; lowWater: number }
  | { kind: 'ours-hash-first'; target: BenchTarget; engine?: string };

/** What a contender child reports. Times are from before connect to after the QUIT reply. */
export interface ContenderResult {
  messages: number;
  bytes: number;
  elapsedMs: number;
  /** User + system CPU spent during the run (module loading excluded), ms. */
  cpuMs: number;
  /** VmHWM of the child at the end, KiB. */
  peakRssKb: number;
  /** ours-hash-first: sha256 of the body, proof it was all read. */
  sha256?: string;
}

/** The environment variable carrying the JSON spec to the child. */
export const SPEC_ENV = 'POP3_BENCH_SPEC';
