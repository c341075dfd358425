/**
 * The Lambda entry point. Invoked by EventBridge Scheduler with `{ "mailboxId": "<id>" }`, or
 * `{ "mailboxId": "*" }` / `{}` for every configured mailbox. Returns one PollSummary per mailbox;
 * throws only when a mailbox failed transiently (see run.ts). Configuration: runtime.ts.
 */
import type { Context } from 'aws-lambda';
import { runInvocation, type HandlerResult } from './run.js';
import { createHandlerRuntime, type HandlerRuntime } from '../compose/handler-runtime.js';

export type { HandlerResult } from './run.js';
export { RetryableInvocationError } from './errors.js';

/** A handler bound to `runtime` (tests build their own; Lambda uses the container's). */
export function createHandler(runtime: HandlerRuntime): (event: unknown, context: Context) => Promise<HandlerResult> {
  return (event, context) => runInvocation(event, context, runtime);
}

// Once per container, outside the handler: SDK clients, caches and the parsed configuration.
const containerRuntime = createHandlerRuntime();

/** The Lambda handler. */
export const handler = createHandler(containerRuntime);
