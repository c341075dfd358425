/**
 * One EventBridge Scheduler schedule per mailbox, spread over a fixed number of nested stacks.
 *
 * A CloudFormation stack holds 500 resources, so a fleet cannot keep its schedules in one
 * stack. Each mailbox goes to the shard its id hashes to (SHA-256 modulo `shards`): adding or
 * removing a mailbox never moves another, so no other schedule is replaced and every logical
 * id stays put. The shard count is fixed on purpose; raising it moves about half the schedules
 * once (a replaced schedule only restarts its rate phase).
 */
import { createHash } from 'node:crypto';
import { Duration, NestedStack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SCHEDULE_INPUT } from '../../lambda/handler/contract.js';

/** The default number of schedule shards: room for about 1,900 mailboxes (490 per nested stack). */
export const DEFAULT_SCHEDULE_SHARDS = 4;

/** One mailbox to schedule. */
export interface ScheduledMailbox {
  readonly id: string;
  /** The schedule expression (rate or cron). */
  readonly schedule: string;
  /** Drop a delivery older than this (Scheduler's MaximumEventAgeInSeconds). */
  readonly maxEventAge: Duration;
}

/** Properties of ScheduleShards. */
export interface ScheduleShardsProps {
  readonly mailboxes: readonly ScheduledMailbox[];
  /** Number of nested stacks the schedules are spread over. */
  readonly shards: number;
  readonly function: lambda.IFunction;
  /** The role Scheduler assumes (invoke the function, send to the DLQ). */
  readonly role: iam.IRole;
  readonly deadLetterQueue: sqs.IQueue;
  /** Scheduler delivery retries. */
  readonly retryAttempts: number;
  readonly enabled: boolean;
}

/** Schedules in nested stacks, one shard per mailbox id hash. */
export class ScheduleShards extends Construct {
  /** The nested stacks, by shard index (only shards with at least one mailbox exist). */
  readonly stacks: ReadonlyMap<number, NestedStack>;
  /** One schedule per mailbox id. */
  readonly schedules: ReadonlyMap<string, scheduler.CfnSchedule>;

  constructor(scope: Construct, id: string, props: ScheduleShardsProps) {
    super(scope, id);
    if (!Number.isInteger(props.shards) || props.shards < 1 || props.shards > 400) {
      throw new Error(`Pop3Poller: scheduleShards must be a whole number from 1 to 400 (got ${props.shards})`);
    }
    const stacks = new Map<number, NestedStack>();
    // Schedules sit one level down: a top-level logical id has no hash, so "a-b" and "ab"
    // would collide; below a container CDK adds the path's hash.
    const containers = new Map<number, Construct>();
    const schedules = new Map<string, scheduler.CfnSchedule>();
    for (const mailbox of props.mailboxes) {
      const shard = shardOf(mailbox.id, props.shards);
      let stack = stacks.get(shard);
      if (!stack) {
        stack = new NestedStack(this, `Shard${shard}`, { description: `pop3-ingest: schedules of shard ${shard} of ${props.shards}` });
        stacks.set(shard, stack);
        containers.set(shard, new Construct(stack, 'Mailboxes'));
      }
      const container = containers.get(shard) as Construct;
      schedules.set(
        mailbox.id,
        new scheduler.CfnSchedule(container, mailbox.id, {
          description: `pop3-ingest: poll mailbox ${mailbox.id}`,
          scheduleExpression: mailbox.schedule,
          state: props.enabled ? 'ENABLED' : 'DISABLED',
          flexibleTimeWindow: { mode: 'OFF' },
          target: {
            arn: props.function.functionArn,
            roleArn: props.role.roleArn,
            // The due time lets the handler tell whether a retry can still run (lambda/handler/retry-age.ts).
            input: JSON.stringify({ [SCHEDULE_INPUT.mailboxId]: mailbox.id, [SCHEDULE_INPUT.scheduledTime]: scheduler.ContextAttribute.scheduledTime }),
            retryPolicy: { maximumRetryAttempts: props.retryAttempts, maximumEventAgeInSeconds: mailbox.maxEventAge.toSeconds() },
            deadLetterConfig: { arn: props.deadLetterQueue.queueArn },
          },
        }),
      );
    }
    this.stacks = stacks;
    this.schedules = schedules;
  }

  /** The nested stack holding `mailboxId`'s schedule (and its optional per-mailbox alarms). */
  stackOf(mailboxId: string): NestedStack {
    const stack = [...this.stacks.values()].find((s) => s.node.tryFindChild('Mailboxes')?.node.tryFindChild(mailboxId));
    if (!stack) throw new Error(`Pop3Poller: no schedule for mailbox ${mailboxId}`);
    return stack;
  }
}

/** The shard a mailbox id belongs to: stable for a given id and shard count. */
export function shardOf(mailboxId: string, shards: number): number {
  return createHash('sha256').update(mailboxId).digest().readUInt32BE(0) % shards;
}
