/**
 * The invocation event: EventBridge Scheduler sends `{ "mailboxId": "<id>", "scheduledTime":
 * "<ISO time>" }`; `"*"` or no id polls every configured mailbox. An EventBridge rule may wrap
 * it in `detail` (and then carries its own `time`).
 */
import { ConfigError } from '../config/errors.js';
import { findMailbox } from '../config/find-mailbox.js';
import type { Config, MailboxConfig } from '../config/schema.js';

/** What the handler accepts. */
export interface PollEvent {
  mailboxId?: string;
  /** When the schedule tick was due (Scheduler's `<aws.scheduler.scheduled-time>`). */
  scheduledTime?: string;
  /** An EventBridge event's own timestamp. */
  time?: string;
  detail?: { mailboxId?: string };
}

/** The mailboxes this invocation polls, in configuration order. Throws ConfigError MAILBOX_UNKNOWN. */
export function selectMailboxes(event: unknown, config: Config): MailboxConfig[] {
  const id = requestedId(event);
  if (id === undefined || id === '*') return [...config.mailboxes];
  return [findMailbox(config, id)];
}

/** When the invocation was due: the schedule's due time, else an EventBridge event's time; undefined for a manual invoke. */
export function eventDueTime(event: unknown): Date | undefined {
  if (event === null || typeof event !== 'object') return undefined;
  const e = event as PollEvent;
  const text = typeof e.scheduledTime === 'string' ? e.scheduledTime : typeof e.time === 'string' ? e.time : undefined;
  if (text === undefined) return undefined;
  const due = new Date(text);
  return Number.isNaN(due.getTime()) ? undefined : due;
}

function requestedId(event: unknown): string | undefined {
  if (event === null || typeof event !== 'object') return undefined;
  const e = event as PollEvent;
  const id = e.mailboxId ?? (e.detail !== null && typeof e.detail === 'object' ? e.detail.mailboxId : undefined);
  if (id === undefined) return undefined;
  if (typeof id !== 'string') {
    throw new ConfigError('MAILBOX_UNKNOWN', 'The event field mailboxId must be a string: a configured mailbox id or "*"');
  }
  return id;
}
