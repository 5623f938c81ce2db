/**
 * Pure planning of which connection (shard) carries which stream. The pool applies
 * the plan; keeping it free of sockets lets the diff rules be tested exhaustively.
 */
export interface ShardPlan {
  /** Existing shard -> streams to unsubscribe there. */
  remove: Map<string, string[]>;
  /** Existing shard -> streams to subscribe there. */
  add: Map<string, string[]>;
  /** Streams of each new shard to open. */
  create: string[][];
  /** Shards left with no stream: closed. */
  close: string[];
  /**
   * Rebalancing: every stream of `from` moves to the listed shards, which subscribe
   * first; `from` is closed only once they are acknowledged (make-before-break).
   */
  drain: Array<{ from: string; to: Map<string, string[]> }>;
  /**
   * Existing shard -> streams it carries above `maxPerShard` (the limit was lowered).
   * They leave the shard's plan now and appear in `add` / `create` / `drain` like new
   * streams; the shard keeps carrying them until their new shards are acknowledged
   * (make-before-break), then unsubscribes them.
   */
  move: Map<string, string[]>;
}

export interface PlanOptions {
  maxPerShard: number;
  /**
   * Extra connections tolerated above ceil(streams / maxPerShard) before shards are
   * merged. Default 1: merging costs a connection attempt and a burst of SUBSCRIBE,
   * so a little fragmentation is cheaper than constant reshuffling.
   */
  slackShards?: number;
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Diff of `current` (shard id -> its streams) against the `desired` stream set.
 * Only shards that lose or gain a stream appear in the plan; new streams fill the
 * least-loaded shards with room before new shards are opened, and new shards share
 * the remainder evenly. No shard ever exceeds `maxPerShard`: a shard above it (the
 * limit was lowered) keeps its first `maxPerShard` streams and the rest are `move`d,
 * placed like new streams. A shard at or under the limit is never touched for a
 * limit change alone, except by the merge rule below.
 */
export function planShards(current: ReadonlyMap<string, ReadonlySet<string>>, desired: ReadonlySet<string>, options: PlanOptions): ShardPlan {
  const max = Math.max(1, Math.floor(options.maxPerShard));
  const plan: ShardPlan = { remove: new Map(), add: new Map(), create: [], close: [], drain: [], move: new Map() };
  const load = new Map<string, number>();
  const placed = new Set<string>();
  const moved: string[] = [];
  for (const [id, streams] of current) {
    let kept = 0;
    for (const stream of streams) {
      if (desired.has(stream) && !placed.has(stream)) {
        placed.add(stream);
        if (kept < max) {
          kept += 1;
        } else {
          push(plan.move, id, stream);
          moved.push(stream);
        }
      } else {
        // Not wanted any more, or a duplicate of a stream another shard already carries.
        push(plan.remove, id, stream);
      }
    }
    load.set(id, kept);
  }

  // Moved streams are placed like new ones; they are `placed` above only so no other shard keeps a duplicate.
  const added = [...moved, ...[...desired].filter((s) => !placed.has(s))];
  let next = 0;
  const byLoad = [...load.keys()].sort((a, b) => (load.get(a) as number) - (load.get(b) as number));
  for (const id of byLoad) {
    if (next >= added.length) break;
    let room = max - (load.get(id) as number);
    while (room > 0 && next < added.length) {
      push(plan.add, id, added[next] as string);
      next += 1;
      room -= 1;
    }
    load.set(id, max - room);
  }
  const rest = added.slice(next);
  if (rest.length > 0) {
    const shards = Math.ceil(rest.length / max);
    const size = Math.ceil(rest.length / shards);
    for (let i = 0; i < rest.length; i += size) plan.create.push(rest.slice(i, i + size));
  }

  for (const [id, count] of load) if (count === 0) plan.close.push(id);

  // Merge when clearly fragmented: drain the smallest shards into the room of the others.
  const total = desired.size;
  const needed = Math.ceil(total / max);
  const live = [...load.entries()].filter(([, count]) => count > 0).map(([id]) => id);
  let shardCount = live.length + plan.create.length;
  const slack = options.slackShards ?? 1;
  if (shardCount > needed + slack) {
    // Pick the smallest shards first, as long as the shards that stay can absorb them;
    // choosing every source before moving anything keeps a moved stream from moving twice.
    const ascending = [...live].sort((a, b) => (load.get(a) as number) - (load.get(b) as number));
    const draining: string[] = [];
    let moving = 0;
    for (const candidate of ascending) {
      if (shardCount <= needed + slack) break;
      const staying = live.filter((id) => id !== candidate && !draining.includes(id));
      const room = staying.reduce((sum, id) => sum + (max - (load.get(id) as number)), 0);
      const candidateLoad = load.get(candidate) as number;
      if (room < moving + candidateLoad) break;
      draining.push(candidate);
      moving += candidateLoad;
      shardCount -= 1;
    }
    const targets = live.filter((id) => !draining.includes(id)).sort((a, b) => (load.get(a) as number) - (load.get(b) as number));
    for (const from of draining) {
      const removed = new Set([...(plan.remove.get(from) ?? []), ...(plan.move.get(from) ?? [])]);
      const streams = [...(current.get(from) ?? [])].filter((s) => desired.has(s) && !removed.has(s));
      streams.push(...(plan.add.get(from) ?? []));
      plan.add.delete(from);
      const to = new Map<string, string[]>();
      let index = 0;
      for (const target of targets) {
        let free = max - (load.get(target) as number);
        while (free > 0 && index < streams.length) {
          push(to, target, streams[index] as string);
          index += 1;
          free -= 1;
        }
        load.set(target, max - free);
        if (index >= streams.length) break;
      }
      load.set(from, 0);
      plan.drain.push({ from, to });
    }
  }
  return plan;
}
