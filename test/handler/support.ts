/**
 * Fixtures for the handler tests: a Lambda context and a capture of everything written to
 * stdout (Powertools writes JSON log lines and EMF metric documents there).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** A Lambda context whose remaining time counts down from `remainingMs`. */
export function lambdaContext(remainingMs = 60_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'pop3-ingest-poller',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:pop3-ingest-poller',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/pop3-ingest-poller',
    logStreamName: '2026/11/29/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Captures process.stdout and process.stderr while `fn` runs (Powertools writes EMF and INFO logs
 * to stdout, WARN and ERROR to stderr; Lambda ships both). Returns fn's result or error and the
 * JSON lines written.
 */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: unknown; text: string; lines: Record<string, unknown>[] }> {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  }
  let result: T | undefined;
  let error: unknown;
  try {
    result = await fn();
  } catch (e) {
    error = e;
  } finally {
    streams.forEach((s, i) => (s.write = originals[i]!));
  }
  const text = chunks.join('');
  // A pretty-printed document (the CLI's --json) spans lines: only one-line JSON records count.
  const lines = text
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return { ...(result === undefined ? {} : { result }), ...(error === undefined ? {} : { error }), text, lines };
}

/** EMF documents among captured lines, flattened to { name, value, dimensions } per metric. */
export function emfMetrics(lines: readonly Record<string, unknown>[]): Array<{ name: string; value: unknown; dimensions: Record<string, unknown> }> {
  const out: Array<{ name: string; value: unknown; dimensions: Record<string, unknown> }> = [];
  for (const line of lines) {
    const aws = line._aws as { CloudWatchMetrics?: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      const dims: Record<string, unknown> = { namespace: directive.Namespace };
      for (const name of directive.Dimensions.flat()) dims[name] = line[name];
      for (const metric of directive.Metrics) out.push({ name: metric.Name, value: line[metric.Name], dimensions: dims });
    }
  }
  return out;
}
