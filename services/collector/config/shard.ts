/**
 * Which collector shard owns a symbol, by rendezvous (highest random weight)
 * hashing: a symbol's shard depends only on the symbol and the shard count, so
 * adding symbols never moves others, and going from N to N+1 shards moves only
 * about 1/(N+1) of them.
 */
export function shardOf(symbol: string, shardCount: number): number {
  if (shardCount <= 1) return 0;
  let best = 0;
  let bestWeight = -1;
  for (let shard = 0; shard < shardCount; shard++) {
    const weight = mix(fnv1a(symbol, shard));
    if (weight > bestWeight) {
      bestWeight = weight;
      best = shard;
    }
  }
  return best;
}

export function isInShard(symbol: string, shard: { count: number; index: number }): boolean {
  return shardOf(symbol, shard.count) === shard.index;
}

function fnv1a(text: string, seed: number): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** murmur3's finalizer: FNV alone clusters on similar short strings. */
function mix(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
