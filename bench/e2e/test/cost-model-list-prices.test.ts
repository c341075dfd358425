/**
 * The dollars in docs/scaling.md come from costPerMillion: a wrong tier (a free DELETE billed,
 * a LIST priced as a GET) or a unit slip (per 1,000 vs per 1M) would mislead every reader.
 */
import { describe, expect, it } from 'vitest';
import { chunksOf, costPerMillion, percentile, PRICES, sesCostPerMillion } from '../stats.js';

describe('costPerMillion at us-east-1 list prices', () => {
  it('bills PUT-tier and GET-tier S3 requests apart and DELETE not at all', () => {
    // Prepare: 1,000 messages, one PutObject each, one state GET, one lease DELETE, one LIST.
    const usage = {
      messages: 1000,
      s3: { PutObjectCommand: 1000, GetObjectCommand: 1, DeleteObjectCommand: 1, ListObjectsV2Command: 1 },
      putEventsCalls: 100,
      eventChunks: 1000,
      secretsManagerCalls: 1,
      invocations: 1,
      lambdaSeconds: 10,
      lambdaMemoryMb: 512,
    };
    // Act
    const cost = costPerMillion(usage);
    // Assess: per 1M messages = 1,000 x this run
    expect(cost.s3Put).toBeCloseTo(1001 * PRICES.s3PutPer1000, 9);
    expect(cost.s3Get).toBeCloseTo(1 * PRICES.s3GetPer1000, 9);
    expect(cost.eventBridge).toBeCloseTo(1.0, 9);
    expect(cost.lambdaCompute).toBeCloseTo(10 * 1000 * 0.5 * PRICES.lambdaArmPerGbSecond, 9);
    expect(cost.lambdaRequests).toBeCloseTo(1000 / 1e6 * 0.2, 12);
    expect(cost.secretsManager).toBeCloseTo((1000 / 10_000) * 0.05, 12);
    expect(cost.total).toBeCloseTo(cost.s3Put + cost.s3Get + cost.eventBridge + cost.lambdaCompute + cost.lambdaRequests + cost.secretsManager, 12);
  });

  it('prices SES inbound per mail plus per started 256 KB chunk', () => {
    expect(chunksOf(1, PRICES.sesChunkBytes)).toBe(1);
    expect(chunksOf(256 * 1024 + 1, PRICES.sesChunkBytes)).toBe(2);
    // 1M mails of one chunk each: $100 + $90.
    expect(sesCostPerMillion(1000, 1000)).toBeCloseTo(190, 9);
  });

  it('takes percentiles by nearest rank (p99 of 200 values is the 198th)', () => {
    const values = Array.from({ length: 200 }, (_, i) => 200 - i);
    expect(percentile(values, 50)).toBe(100);
    expect(percentile(values, 99)).toBe(198);
    expect(percentile([], 50)).toBeNaN();
  });
});
