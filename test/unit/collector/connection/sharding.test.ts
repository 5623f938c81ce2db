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
