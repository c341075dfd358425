import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLatencyProxy, type LatencyProxy } from '../latency-proxy.js';

const DELAY_MS = 20;
let echo: Server;
let proxy: LatencyProxy;
const sockets: Socket[] = [];

beforeAll(async () => {
  echo = createServer((socket) => {
    sockets.push(socket);
    socket.pipe(socket);
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  proxy = await startLatencyProxy({ upstreamHost: '127.0.0.1', upstreamPort: (echo.address() as AddressInfo).port, delayMs: DELAY_MS });
});

afterAll(async () => {
  await proxy?.close();
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => (echo ? echo.close(() => resolve()) : resolve()));
});

describe('the latency proxy models a slow link faithfully', () => {
  it('delays a round trip by two one-way delays', async () => {
    // Prepare
    const client = createConnection({ host: '127.0.0.1', port: proxy.port });
    sockets.push(client);
    await once(client, 'connect');

    // Act
    const sent = performance.now();
    client.write('ping\r\n');
    await once(client, 'data');
    const roundTrip = performance.now() - sent;
    client.destroy();

    // Assess: each hop may leave half a millisecond early (timer resolution slack).
    expect(roundTrip).toBeGreaterThanOrEqual(2 * DELAY_MS - 1);
  });

  it('keeps every byte in order across many chunks in flight at once', async () => {
    // Prepare
    const client = createConnection({ host: '127.0.0.1', port: proxy.port });
    sockets.push(client);
    await once(client, 'connect');
    const expected = Array.from({ length: 500 }, (_, i) => `line ${i}\r\n`).join('');
    let received = '';
    const done = new Promise<void>((resolve) => {
      client.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        if (received.length >= expected.length) resolve();
      });
    });

    // Act: one write per line, each its own chunk more often than not.
    for (let i = 0; i < 500; i += 1) client.write(`line ${i}\r\n`);
    await done;
    client.destroy();

    // Assess
    expect(received).toBe(expected);
  });
});
