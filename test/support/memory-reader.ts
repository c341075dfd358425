/**
 * StoredMessageReader over a MemoryStore (replay tests): what S3's ranged GET and the folder's
 * sidecar give, from the memory objects. Like the real ones: metadata from what was stored, the
 * first `headBytes` octets, null for a key with no object.
 */
import type { StoredMessageInfo, StoredMessageReader } from '../../lambda/sync/ports.js';
import type { MemoryStore } from './memory-stores.js';

/** Reads back what `store` holds; `reads` counts the calls. */
export class MemoryStoreReader implements StoredMessageReader {
  reads = 0;

  constructor(private readonly store: MemoryStore) {}

  async read(key: string, headBytes: number): Promise<StoredMessageInfo | null> {
    this.reads += 1;
    const object = this.store.objects.get(key);
    if (!object) return null;
    return { location: { bucket: 'memory', key }, size: object.body.length, sha256: object.sha256, head: object.body.slice(0, headBytes) };
  }

  async *keysUnder(prefix: string): AsyncIterable<string> {
    for (const key of [...this.store.objects.keys()]) if (key.startsWith(prefix)) yield key;
  }
}
