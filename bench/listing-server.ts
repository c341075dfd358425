/**
 * A loopback POP3 server for the listing benches (listing-memory.ts, listing-idle.ts): accepts
 * any login, answers CAPA, and answers UIDL and LIST with `lines` entries generated as they are
 * written (with backpressure, in writes of about 60 KB), so the server never holds a listing.
 */
import net from 'node:net';

/** One listing line for message `i` (1-based), without CRLF. */
export type ListingLine = (kind: 'UIDL' | 'LIST', i: number) => string;

/** Starts the server on 127.0.0.1 (an ephemeral port). */
export async function startListingServer(lines: number, lineFor: ListingLine, greeting: string): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    let buffered = '';
    let queue = Promise.resolve();
    const send = (text: string): Promise<void> => new Promise((resolve) => (socket.write(text) ? resolve() : socket.once('drain', resolve)));
    const listing = async (kind: 'UIDL' | 'LIST'): Promise<void> => {
      await send('+OK\r\n');
      let batch = '';
      for (let i = 1; i <= lines; i++) {
        batch += `${lineFor(kind, i)}\r\n`;
        if (batch.length > 60000) {
          await send(batch);
          batch = '';
        }
      }
      await send(`${batch}.\r\n`);
    };
    const handle = async (line: string): Promise<void> => {
      const verb = line.split(' ')[0]?.toUpperCase();
      if (verb === 'CAPA') return send('+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n');
      if (verb === 'USER' || verb === 'PASS') return send('+OK\r\n');
      if (verb === 'UIDL' || verb === 'LIST') return listing(verb);
      if (verb === 'QUIT') {
        await send('+OK\r\n');
        socket.end();
        return;
      }
      return send('-ERR\r\n');
    };
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let lf: number;
      while ((lf = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, lf).replace(/\r$/, '');
        buffered = buffered.slice(lf + 1);
        queue = queue.then(() => handle(line));
      }
    });
    void send(`+OK ${greeting}\r\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
