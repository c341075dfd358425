/**
 * Small loopback servers the private Dovecot needs: a PROXY-protocol relay (so Dovecot sees a
 * remote client) and an RFC 7662 token-introspection endpoint (for XOAUTH2/OAUTHBEARER).
 */
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** Binds `server` to 127.0.0.1 on a port the OS picks (port 0); resolves with that port. */
export async function listenOnLoopback(server: Server, what: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`unexpected ${what} address`);
  return address.port;
}

/** A running loopback relay. */
export interface Relay {
  port: number;
  close(): Promise<void>;
}

/** Dovecot never contacts this address: it only appears in the PROXY header (RFC 5737 TEST-NET-1). */
const RELAYED_CLIENT_IP = '192.0.2.10';

/**
 * A loopback TCP relay to Dovecot's haproxy listener that first sends a PROXY v1 header, so
 * Dovecot sees a remote client. Closes propagate both ways, so a dropped client is a dropped
 * session (RFC 1939 section 6: no UPDATE state).
 */
export async function startProxyRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => sockets.delete(socket));
    }
    upstream.write(`PROXY TCP4 ${RELAYED_CLIENT_IP} 127.0.0.1 ${client.remotePort ?? 1} ${targetPort}\r\n`);
    client.pipe(upstream);
    upstream.pipe(client);
    // A reset or error on either side tears down the other: no half-dead sessions.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const port = await listenOnLoopback(server, 'relay');
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A running introspection endpoint. */
export interface IntrospectionServer {
  url: string;
  /** The tokens Dovecot asked about, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * RFC 7662 token introspection on 127.0.0.1: POST token=... answers {"active":true,
 * "username":user} for a known token and {"active":false} for anything else.
 */
export async function startIntrospection(tokens: Readonly<Record<string, string>>): Promise<IntrospectionServer> {
  const requests: string[] = [];
  const server = createHttpServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? '';
      requests.push(token);
      const user = Object.hasOwn(tokens, token) ? tokens[token] : undefined;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(user === undefined ? { active: false } : { active: true, username: user }));
    });
  });
  // Dovecot's HTTP client keeps connections alive; close() must not wait for it.
  server.keepAliveTimeout = 1000;
  const port = await listenOnLoopback(server, 'introspection');
  return {
    url: `http://127.0.0.1:${port}/introspect`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
