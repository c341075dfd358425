/**
 * GrowableBytes holds what HeaderCapture and the ingest reads append: the octets in order,
 * never more than the limit, and a buffer that grows by doubling rather than per chunk.
 */
import { describe, expect, it } from 'vitest';
import { GrowableBytes } from '../../../lambda/sync/growable-bytes.js';

describe('GrowableBytes', () => {
  it('keeps every octet in order across growths, one octet per chunk', () => {
    const bytes = new GrowableBytes(4);
    const input = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const capacities = new Set<number>();
    for (const octet of input) {
      expect(bytes.append(Uint8Array.of(octet))).toBe(1);
      capacities.add(bytes.capacity);
    }
    expect(bytes.view()).toEqual(input);
    // Doubling: 4, 8, ..., 1024, not a new buffer per chunk.
    expect([...capacities]).toEqual([4, 8, 16, 32, 64, 128, 256, 512, 1024]);
  });

  it('takes no more than the limit and says how much of a chunk it took', () => {
    const bytes = new GrowableBytes(8, 20);
    expect(bytes.append(new Uint8Array(15).fill(1))).toBe(15);
    expect(bytes.append(new Uint8Array(10).fill(2))).toBe(5);
    expect(bytes.append(new Uint8Array(3).fill(3))).toBe(0);
    expect(bytes.length).toBe(20);
    expect(bytes.capacity).toBe(20);
    expect([...bytes.view()]).toEqual([...new Array<number>(15).fill(1), ...new Array<number>(5).fill(2)]);
  });
});
