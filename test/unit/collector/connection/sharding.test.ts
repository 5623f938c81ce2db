import { planShards } from '../../../../services/collector/connection';
import { streamsOf } from './fakes';

const asMap = (shards: Record<string, string[]>): Map<string, Set<string>> => new Map(Object.entries(shards).map(([id, s]) => [id, new Set(s)]));

describe('planShards', () => {
  it('splits 1000 new streams into 5 shards of 200', () => {
    const plan = planShards(new Map(), new Set(streamsOf(1000)), { maxPerShard: 200 });
    expect(plan.create.map((s) => s.length)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(plan.create.flat()).size).toBe(1000);
  });

  it('shares a remainder evenly among new shards', () => {
    const plan = planShards(new Map(), new Set(streamsOf(450)), { maxPerShard: 200 });
    expect(plan.create.map((s) => s.length)).toEqual([150, 150, 150]);
  });

  it('adds to shards with room and touches no other shard', () => {
    const current = asMap({ a: streamsOf(200, 0), b: streamsOf(150, 200), c: streamsOf(200, 400) });
    const desired = new Set([...streamsOf(350, 0), ...streamsOf(200, 400), ...streamsOf(30, 1000)]);
    desired.delete('sym210usdt@aggTrade');
    const plan = planShards(current, desired, { maxPerShard: 200 });
    expect([...plan.remove.keys()]).toEqual(['b']);
    expect(plan.remove.get('b')).toEqual(['sym210usdt@aggTrade']);
    expect([...plan.add.keys()]).toEqual(['b']);
    expect(plan.add.get('b')).toHaveLength(30);
    expect(plan.create).toEqual([]);
    expect(plan.close).toEqual([]);
    expect(plan.drain).toEqual([]);
  });

  it('opens new shards only for what does not fit and never exceeds the max', () => {
    const current = asMap({ a: streamsOf(190, 0) });
    const plan = planShards(current, new Set(streamsOf(700, 0)), { maxPerShard: 200 });
    expect(plan.add.get('a')).toHaveLength(10);
    expect(plan.create.map((s) => s.length)).toEqual([167, 167, 166]);
    for (const shard of plan.create) expect(shard.length).toBeLessThanOrEqual(200);
  });

  it('closes shards left empty', () => {
    const current = asMap({ a: streamsOf(100, 0), b: streamsOf(100, 100) });
    const plan = planShards(current, new Set(streamsOf(100, 0)), { maxPerShard: 200 });
    expect(plan.close).toEqual(['b']);
    expect(plan.remove.get('b')).toHaveLength(100);
    expect(plan.remove.has('a')).toBe(false);
  });

  it('merges fragmented shards into the room of the others, make-before-break', () => {
    // 5 shards, 240 streams: 2 would do.
    const current = asMap({ a: streamsOf(200, 0), b: streamsOf(10, 200), c: streamsOf(10, 210), d: streamsOf(10, 220), e: streamsOf(10, 230) });
    const plan = planShards(current, new Set(streamsOf(240, 0)), { maxPerShard: 200 });
    expect(plan.drain.length).toBe(2);
    const after = new Map([...current].map(([id, s]) => [id, new Set(s)]));
    for (const { from, to } of plan.drain) {
      for (const [target, moved] of to) for (const s of moved) after.get(target)?.add(s);
      after.delete(from);
    }
    expect(after.size).toBe(3);
    for (const streams of after.values()) expect(streams.size).toBeLessThanOrEqual(200);
    expect(new Set([...after.values()].flatMap((s) => [...s])).size).toBe(240);
  });

  it('drops duplicates carried by two shards', () => {
    const current = asMap({ a: ['x@aggTrade', 'y@aggTrade'], b: ['y@aggTrade'] });
    const plan = planShards(current, new Set(['x@aggTrade', 'y@aggTrade']), { maxPerShard: 200 });
    expect(plan.remove.get('b')).toEqual(['y@aggTrade']);
    expect(plan.close).toEqual(['b']);
  });
});

describe('planShards after a limit change', () => {
  /** The assignment once the plan is applied (moved streams leave their shard, drained shards are gone). */
  function apply(current: Map<string, Set<string>>, plan: ReturnType<typeof planShards>): Set<string>[] {
    const after = new Map([...current].map(([id, s]) => [id, new Set(s)]));
    for (const [id, streams] of [...plan.remove, ...plan.move]) for (const s of streams) after.get(id)?.delete(s);
    for (const [id, streams] of plan.add) for (const s of streams) after.get(id)?.add(s);
    for (const { from, to } of plan.drain) {
      for (const [target, moved] of to) for (const s of moved) after.get(target)?.add(s);
      after.delete(from);
    }
    for (const id of plan.close) after.delete(id);
    return [...after.values(), ...plan.create.map((s) => new Set(s))];
  }

  it('lowering moves only the streams above the new limit and places every stream exactly once', () => {
    // Prepare
    const current = asMap({ a: streamsOf(200, 0), b: streamsOf(100, 200) });

    // Act
    const plan = planShards(current, new Set(streamsOf(300)), { maxPerShard: 50 });

    // Assert: a keeps its first 50 and moves 150, b keeps 50 and moves 50; nothing is unsubscribed outright.
    expect(plan.move.get('a')).toEqual(streamsOf(150, 50));
    expect(plan.move.get('b')).toEqual(streamsOf(50, 250));
    expect(plan.remove.size).toBe(0);
    expect(plan.drain).toEqual([]);
    expect(plan.create.map((s) => s.length)).toEqual([50, 50, 50, 50]);
    const after = apply(current, plan);
    expect(after.every((s) => s.size <= 50)).toBe(true);
    const all = after.flatMap((s) => [...s]);
    expect(all).toHaveLength(300);
    expect(new Set(all)).toEqual(new Set(streamsOf(300)));
  });

  it('moved streams fill the room of other shards before new shards are opened', () => {
    // Prepare
    const current = asMap({ a: streamsOf(100, 0), b: streamsOf(20, 100) });

    // Act
    const plan = planShards(current, new Set(streamsOf(120)), { maxPerShard: 50 });

    // Assert
    expect(plan.move.get('a')).toHaveLength(50);
    expect(plan.add.get('b')).toHaveLength(30);
    expect(plan.create.map((s) => s.length)).toEqual([20]);
    expect(apply(current, plan).map((s) => s.size)).toEqual([50, 50, 20]);
  });

  it('raising leaves shards within the slack alone and otherwise only merges, opening none', () => {
    // Prepare: 300 streams on six shards of 50.
    const current = asMap(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`s${i + 1}`, streamsOf(50, i * 50)])));

    // Act
    const within = planShards(current, new Set(streamsOf(300)), { maxPerShard: 60 });
    const merged = planShards(current, new Set(streamsOf(300)), { maxPerShard: 200 });

    // Assert: 5 needed at 60, 6 within the slack; at 200, 2 needed and 3 kept.
    expect(within).toEqual({ remove: new Map(), add: new Map(), create: [], close: [], drain: [], move: new Map() });
    expect(merged.create).toEqual([]);
    expect(merged.move.size).toBe(0);
    expect(merged.drain).toHaveLength(3);
    const after = apply(current, merged);
    expect(after).toHaveLength(3);
    expect(after.every((s) => s.size <= 200)).toBe(true);
    expect(new Set(after.flatMap((s) => [...s])).size).toBe(300);
  });

  it('moves and a merge in the same plan place each stream once', () => {
    // Prepare: at 40, b keeps 40 and moves 5 (into a's room); with no slack, c is drained as well.
    const current = asMap({ a: streamsOf(10, 0), b: streamsOf(45, 10), c: streamsOf(10, 55) });

    // Act
    const plan = planShards(current, new Set(streamsOf(65)), { maxPerShard: 40, slackShards: 0 });

    // Assert
    expect(plan.move.get('b')).toHaveLength(5);
    expect(plan.drain.map((d) => d.from)).toEqual(['c']);
    const after = apply(current, plan);
    expect(after.every((s) => s.size <= 40)).toBe(true);
    const all = after.flatMap((s) => [...s]);
    expect(all).toHaveLength(65);
    expect(new Set(all)).toEqual(new Set(streamsOf(65)));
  });
});
