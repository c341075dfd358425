/**
 * The backlog drain's links to its services: PutEvents over HTTP to a loopback fake (counted,
 * "Message Stored" logged for the drain check) and, with a delay set, bench/latency-proxy.ts in
 * front of S3, that fake and Dovecot, so every request of the handler pays the delay per chunk
 * each way as it would on a real link.
 */
import { startLatencyProxy, type LatencyProxy } from '../latency-proxy.js';
import { startEventBridgeHttp, type EventBridgeHttp } from './eventbridge-http.js';

/** What to link and how slow. */
export interface LinkSettings {
  s3Endpoint: string;
  pop3Port: number;
  /** One-way delay per chunk to S3 and EventBridge, ms (0: direct). */
  awsDelayMs: number;
  /** The same to the POP3 server. */
  pop3DelayMs: number;
  /** Where the EventBridge fake logs the uidHash of each "Message Stored" entry. */
  storedLog: string;
  /** POP3_INGEST_CONFIG for a POP3 server at this port (the proxy's or the server's). */
  config: (pop3Port: number) => string;
}

/** Running links: the Lambda environment that uses them, the fake, the proxies. */
export interface BacklogLinks {
  /** What differs from the plain Lambda environment. */
  env: NodeJS.ProcessEnv;
  eventBridge: EventBridgeHttp;
  proxies: { s3?: LatencyProxy; eventBridge?: LatencyProxy; pop3?: LatencyProxy };
  close(): Promise<void>;
}

/** Starts the EventBridge fake and the proxies a delay asks for. */
export async function startBacklogLinks(s: LinkSettings): Promise<BacklogLinks> {
  const eventBridge = await startEventBridgeHttp(s.storedLog);
  const proxies: BacklogLinks['proxies'] = {};
  const close = async (): Promise<void> => {
    await Promise.allSettled([...Object.values(proxies).map((p) => p.close()), eventBridge.close()]);
  };
  // The bytes are HTTP and TLS, not plaintext POP3: nothing for the proxy's POP3 tracker to watch.
  const via = async (name: keyof BacklogLinks['proxies'], port: number, delayMs: number): Promise<number> => {
    if (delayMs === 0) return port;
    const proxy = await startLatencyProxy({ upstreamHost: '127.0.0.1', upstreamPort: port, delayMs, trackPop3: false });
    proxies[name] = proxy;
    return proxy.port;
  };
  try {
    const s3Port = await via('s3', Number(new URL(s.s3Endpoint).port), s.awsDelayMs);
    const ebPort = await via('eventBridge', eventBridge.port, s.awsDelayMs);
    const pop3Port = await via('pop3', s.pop3Port, s.pop3DelayMs);
    return {
      env: {
        POP3_INGEST_CONFIG: s.config(pop3Port),
        AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Port}`,
        AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${ebPort}`,
      },
      eventBridge,
      proxies,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
