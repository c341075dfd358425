/**
 * The S3 stores and the EventBridge publisher, built from the config and the entry point's
 * clients. Static imports on purpose: the handler bundle imports this module directly (a
 * dynamic import would make esbuild keep every command of the SDK clients); the CLI loads it
 * lazily through LAZY_PORTS (services.ts) so a local poll never loads the SDK.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { EventBridgePublisher } from '../adapters/eventbridge/publisher.js';
import { S3LeaseStore } from '../adapters/s3/lease-store.js';
import { S3MessageReader } from '../adapters/s3/message-reader.js';
import { S3MessageStore } from '../adapters/s3/message-store.js';
import { S3ParsedStore } from '../adapters/s3/parsed-store.js';
import { S3StateStore } from '../adapters/s3/state-store.js';
import type { Clock, EventPublisher, LeaseStore, MessageStore, ParsedObjectStore, StateStore, StoredMessageReader } from '../sync/ports.js';

/** Messages, seen-state and lease in `bucket`; control documents under `statePrefix`. */
export function s3Stores(client: S3Client, bucket: string, statePrefix: string, clock?: Clock): { store: MessageStore; state: StateStore; lease: LeaseStore } {
  return {
    store: new S3MessageStore({ client, bucket }),
    state: new S3StateStore({ client, bucket, prefix: statePrefix }),
    lease: new S3LeaseStore({ client, bucket, prefix: statePrefix, ...(clock ? { clock } : {}) }),
  };
}

/** Parsed objects (message.json, attachments) beside the raw messages in `bucket`. */
export function s3ParsedStore(client: S3Client, bucket: string): ParsedObjectStore {
  return new S3ParsedStore({ client, bucket });
}

/** What a replay reads: the seen-state and the stored messages, no lease, no writes. */
export function s3ReadStores(client: S3Client, bucket: string, statePrefix: string): { state: StateStore; reader: StoredMessageReader } {
  return { reader: new S3MessageReader({ client, bucket }), state: new S3StateStore({ client, bucket, prefix: statePrefix }) };
}

/** One event per message on `eventBusName`. */
export function eventBridgePublisher(client: EventBridgeClient, eventBusName: string, source: string): EventPublisher {
  return new EventBridgePublisher({ client, eventBusName, source });
}
