/**
 * Test certificates made with the openssl CLI at test time: a private CA and a server
 * certificate for localhost, 127.0.0.1 and ::1 signed by it, so tests can trust exactly that CA
 * (and prove that anything else is rejected). Nothing is committed to the repository.
 */
import { execFile } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One CA and one server certificate it signed, as PEM text and as files. */
export interface TestCertificates {
  /** The test CA certificate (PEM): give it to the client as its only trust anchor. */
  caPem: string;
  /** The server certificate (PEM), CN=localhost, SAN localhost, 127.0.0.1, ::1. */
  certPem: string;
  /** The server's private key (PEM, unencrypted). */
  keyPem: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** base64(sha256(DER SubjectPublicKeyInfo)) of the server key: the value a pin compares to. */
  spkiSha256Base64: string;
}

/** Options for a non-default certificate (e.g. a wrong host name, to prove verification). */
export interface CertificateOptions {
  /** Server CN and DNS SAN; default 'localhost'. */
  commonName?: string;
  /** IP SANs; default ['127.0.0.1', '::1']. Pass [] for a certificate that matches no address. */
  ipAddresses?: readonly string[];
}

const cache = new Map<string, Promise<TestCertificates>>();
let processDir: string | undefined;

/**
 * Returns the test CA and server certificate, generating them once per process per
 * (dir, options): every Dovecot of the process shares one CA.
 */
export function generateTestCertificates(dir?: string, options: CertificateOptions = {}): Promise<TestCertificates> {
  const commonName = options.commonName ?? 'localhost';
  const ips = options.ipAddresses ?? ['127.0.0.1', '::1'];
  const target = dir ?? join(processTempDir(), `${commonName}-${ips.join('_').replace(/:/g, '-') || 'noip'}`);
  const key = `${target}|${commonName}|${ips.join(',')}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = generate(target, commonName, ips);
    // A failure is not cached: the next caller retries and sees the real error itself.
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  return pending;
}

/** base64(sha256(DER SPKI)) of a PEM certificate or key: the pin format the engine accepts. */
export function spkiSha256Base64(pem: string): string {
  const der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

async function generate(dir: string, commonName: string, ips: readonly string[]): Promise<TestCertificates> {
  await mkdir(dir, { recursive: true });
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'server.key');
  const csrFile = join(dir, 'server.csr');
  const certFile = join(dir, 'server.pem');
  const extFile = join(dir, 'server.ext');
  // EC P-256: generated in milliseconds, accepted by Dovecot and by Node's TLS.
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', caKey, '-out', caFile, '-days', '3650',
    '-subj', '/CN=pop3-ingest test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await openssl(['req', ...ec, '-keyout', keyFile, '-out', csrFile, '-subj', `/CN=${commonName}`]);
  const san = [`DNS:${commonName}`, ...ips.map((ip) => `IP:${ip}`)].join(',');
  await writeFile(extFile, [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${san}`,
    '',
  ].join('\n'));
  await openssl(['x509', '-req', '-in', csrFile, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial',
    '-out', certFile, '-days', '825', '-sha256', '-extfile', extFile]);
  const [caPem, certPem, keyPem] = await Promise.all([
    readFile(caFile, 'utf8'), readFile(certFile, 'utf8'), readFile(keyFile, 'utf8'),
  ]);
  return { caPem, certPem, keyPem, caFile, certFile, keyFile, spkiSha256Base64: spkiSha256Base64(keyPem) };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed (is openssl installed?): ${stderr.trim()}`, { cause: error });
  }
}

function processTempDir(): string {
  if (!processDir) {
    const dir = mkdtempSync(join(tmpdir(), 'pop3-certs-'));
    processDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return processDir;
}
