/**
 * Counts the HTTP requests an AWS SDK v3 client sends, by command name, for benchmarks and
 * request-budget tests. The middleware sits in the deserialize step, below the SDK's retry
 * middleware, so every attempt counts (a retried PutObject counts twice).
 */

/** Any SDK v3 client: all of them have a middleware stack (typed per client, so kept opaque). */
export interface CountableClient {
  middlewareStack: object;
}

/** The one member of the middleware stack used here, in the shape every client's stack has. */
interface MiddlewareStackAdd {
  add(
    middleware: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>,
    options: { step: 'deserialize'; name: string; override?: boolean },
  ): void;
}

/** Live request counts by command name (e.g. { PutObjectCommand: 3 }). */
export interface RequestCounter {
  counts: Record<string, number>;
}

const counters = new WeakMap<object, RequestCounter>();

/** Installs (once per client) a middleware counting requests by command; returns the live counts. */
export function countRequests(client: CountableClient): RequestCounter {
  const existing = counters.get(client);
  if (existing) return existing;
  const counter: RequestCounter = { counts: {} };
  (client.middlewareStack as MiddlewareStackAdd).add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counter.counts[name] = (counter.counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'deserialize', name: 'pop3IngestRequestCounter', override: true },
  );
  counters.set(client, counter);
  return counter;
}
