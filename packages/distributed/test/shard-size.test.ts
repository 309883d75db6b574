import { describe, expect, it } from '@jest/globals';
import { defaultShardSize, shardSlices } from '../src/index.js';

// How a run is cut into shards when the user gives no --shard-size.

describe('the default shard size', () => {
  it('makes about fifty shards, of 20 to 500 cases', () => {
    expect(defaultShardSize(5_000)).toBe(100);
    expect(shardSlices(5_000, defaultShardSize(5_000))).toHaveLength(50);
    // Small runs: shards of 20 (fewer than fifty of them).
    expect(defaultShardSize(300)).toBe(20);
    expect(shardSlices(300, defaultShardSize(300))).toHaveLength(15);
    // Large runs: shards of 500 (more than fifty).
    expect(defaultShardSize(10_000_000)).toBe(500);
    expect(shardSlices(10_000_000, defaultShardSize(10_000_000))).toHaveLength(20_000);
  });

  it('covers every case once, the last shard running to the end of the dataset', () => {
    const slices = shardSlices(1_010, defaultShardSize(1_010));
    expect(slices[0]).toEqual({ fromCase: 0, toCase: 21 });
    expect(slices.at(-1)).toEqual({ fromCase: 21 * (slices.length - 1), toCase: null });
    expect(() => shardSlices(10, 0)).toThrow(/--shard-size must be a positive whole number of cases, got 0/);
  });
});
