/**
 * The ports of a replay (lambda/sync/replay.ts): the seen-state, a reader of the stored messages
 * and the publisher, chosen like the poll's (lambda/config/wiring.ts): S3 and EventBridge when
 * the config names a bucket / bus, the local folder and JSON lines otherwise. No mail source is
 * built at all: a replay never opens a POP3 session. SDK adapters are imported lazily.
 */
import { join } from 'node:path';
import type { ReplayDependencies } from '../sync/replay.js';
import type { EventPublisher, StateStore, StoredMessageReader } from '../sync/ports.js';
import { ConfigError } from './errors.js';
import type { Config } from './schema.js';
import type { WiringRuntime } from './wiring.js';

/** Builds the replay's ports from the storage and events sections of a configuration. */
export async function buildReplayDependencies(config: Pick<Config, 'storage' | 'events'>, runtime: WiringRuntime): Promise<ReplayDependencies> {
  const [stores, publisher] = await Promise.all([buildReadStores(config, runtime), buildPublisher(config, runtime)]);
  return { ...stores, publisher, ...(runtime.clock ? { clock: runtime.clock } : {}), ...(runtime.logger ? { logger: runtime.logger } : {}) };
}

async function buildReadStores(config: Pick<Config, 'storage'>, runtime: WiringRuntime): Promise<{ state: StateStore; reader: StoredMessageReader }> {
  const bucket = config.storage.bucket;
  if (bucket !== undefined) {
    const [{ S3Client }, { S3MessageReader }, { S3StateStore }] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('../adapters/s3/message-reader.js'),
      import('../adapters/s3/state-store.js'),
    ]);
    const client = runtime.s3 ?? new S3Client({});
    return { reader: new S3MessageReader({ client, bucket }), state: new S3StateStore({ client, bucket, prefix: config.storage.statePrefix }) };
  }
  const dir = requireLocal(runtime, 'storage.bucket');
  const [{ FolderMessageReader }, { FileStateStore }] = await Promise.all([
    import('../adapters/local/folder-reader.js'),
    import('../adapters/local/state-file.js'),
  ]);
  return { reader: new FolderMessageReader({ dir }), state: new FileStateStore({ dir: join(dir, '.state') }) };
}

async function buildPublisher(config: Pick<Config, 'events'>, runtime: WiringRuntime): Promise<EventPublisher> {
  const { busName, source } = config.events;
  if (busName !== undefined) {
    const [{ EventBridgeClient }, { EventBridgePublisher }] = await Promise.all([
      import('@aws-sdk/client-eventbridge'),
      import('../adapters/eventbridge/publisher.js'),
    ]);
    return new EventBridgePublisher({ client: runtime.eventBridge ?? new EventBridgeClient({}), eventBusName: busName, source });
  }
  const dir = requireLocal(runtime, 'events.busName');
  const { JsonLinesPublisher } = await import('../adapters/local/jsonl-publisher.js');
  if (runtime.local?.eventsStream) return new JsonLinesPublisher({ stream: runtime.local.eventsStream, source });
  return new JsonLinesPublisher({ file: runtime.local?.eventsFile ?? join(dir, 'events.jsonl'), source });
}

function requireLocal(runtime: WiringRuntime, field: string): string {
  if (runtime.local) return runtime.local.dir;
  throw new ConfigError('CONFIG_MISSING', `${field} is not configured and this runtime has no local folder: set ${field} in the configuration`, [
    { path: field, message: 'required in this runtime' },
  ]);
}
