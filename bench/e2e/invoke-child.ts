/**
 * One Lambda invocation in a fresh process (a cold container): the real handler export with
 * its container runtime, S3 on loopback, Secrets Manager faked and counted, EventBridge faked
 * here or (request.eventBridge 'http') served on loopback by the parent.
 * Peak RSS is the kernel's high-water mark (VmHWM) of this process, read after the handler
 * returned; the baseline is the same figure once every module is loaded, before the handler runs.
 *
 *   node --import tsx bench/e2e/invoke-child.ts <request.json>   (written by invoke.ts)
 *
 * Configuration comes from the environment (POP3_INGEST_CONFIG, AWS_ENDPOINT_URL_S3, ...),
 * exactly as in Lambda. The result is written to the file the request names.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { countRequests } from '../../lambda/adapters/aws-counter.js';
import { createHandler } from '../../lambda/handler/index.js';
import { createHandlerRuntime } from '../../lambda/compose/handler-runtime.js';
import { lambdaContext } from '../../test/handler/support.js';
import { readVmHwmKb } from '../proc-watch.js';
import { installFakeAws } from './aws-fakes.js';
import type { ChildRequest, ChildResult } from './invoke.js';

const request = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as ChildRequest;
const fakes = installFakeAws(request.secret, request.storedLog, request.eventBridge);
const runtime = createHandlerRuntime(process.env);
const s3 = countRequests(runtime.s3);
const handler = createHandler(runtime);
const baselineRssKb = readVmHwmKb() ?? 0;

const started = performance.now();
let outcome: Pick<ChildResult, 'summaries' | 'error'>;
try {
  const result = await handler(request.event, lambdaContext(request.budgetMs));
  outcome = { summaries: result.summaries, ...(result.error ? { error: result.error.code } : {}) };
} catch (error) {
  // RetryableInvocationError carries the summaries; anything else is reported by name.
  const summaries = (error as { summaries?: ChildResult['summaries'] }).summaries ?? [];
  outcome = { summaries: [...summaries], error: (error as Error).name ?? 'Error' };
}
const handlerMs = performance.now() - started;

const result: ChildResult = {
  ...outcome,
  handlerMs,
  peakRssKb: readVmHwmKb() ?? 0,
  baselineRssKb,
  s3: { ...s3.counts },
  aws: { ...fakes.counts },
};
writeFileSync(request.resultFile, JSON.stringify(result));
fakes.restore();
runtime.s3.destroy();
