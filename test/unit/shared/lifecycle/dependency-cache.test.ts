import { DependencyCache } from '../../../../services/shared/lifecycle';
import type { Logger } from '../../../../services/shared/logger';

interface Resource {
  id: number;
}

/** A cache over numbered resources, recording every build and close. */
function counting(options: { create?: (id: number) => Promise<Resource>; close?: (resource: Resource) => Promise<void> } = {}) {
  const built: number[] = [];
  const closed: number[] = [];
  const warn = jest.fn();
  const cache = new DependencyCache<Resource>({
    name: 'test resource',
    logger: { warn } as unknown as Logger,
    create: async () => {
      const id = built.length + 1;
      built.push(id);
      return options.create ? options.create(id) : { id };
    },
    close: async (resource) => {
      closed.push(resource.id);
      if (options.close) await options.close(resource);
    },
  });
  return { cache, built, closed, warn };
}

/** A promise settled from outside, for builds that must overlap. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('DependencyCache', () => {
  it('builds once and hands the same resource to every later get', async () => {
    // Prepare
    const { cache, built } = counting();

    // Act
    const first = await cache.get();
    const second = await cache.get();

    // Assert
    expect(second).toBe(first);
    expect(built).toEqual([1]);
  });

  it('shares one build between concurrent gets', async () => {
    // Prepare
    const pending = deferred<Resource>();
    const { cache, built } = counting({ create: () => pending.promise });

    // Act
    const gets = [cache.acquire(), cache.acquire(), cache.acquire()];
    pending.resolve({ id: 1 });
    const leases = await Promise.all(gets);

    // Assert
    expect(built).toEqual([1]);
    expect(leases.map((lease) => lease.generation)).toEqual([1, 1, 1]);
    expect(new Set(leases.map((lease) => lease.value)).size).toBe(1);
  });

  it('does not cache a rejected build: every waiter sees the rejection, the next get builds again', async () => {
    // Prepare
    const failure = new Error('secret lookup failed');
    const { cache, built } = counting({ create: async (id) => (id === 1 ? Promise.reject(failure) : { id }) });

    // Act
    const concurrent = await Promise.allSettled([cache.get(), cache.get()]);
    const next = await cache.acquire();

    // Assert
    expect(concurrent).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ]);
    expect(next).toEqual({ value: { id: 2 }, generation: 2 });
    expect(built).toEqual([1, 2]);
  });

  it('closes the invalidated resource once and builds a new one on the next get', async () => {
    // Prepare
    const { cache, closed } = counting();
    const lease = await cache.acquire();

    // Act
    await cache.invalidate(lease.generation);
    await cache.invalidate(lease.generation);
    const next = await cache.acquire();

    // Assert
    expect(closed).toEqual([1]);
    expect(next).toEqual({ value: { id: 2 }, generation: 2 });
  });

  it('leaves a newer generation alone when a stale one is invalidated', async () => {
    // Prepare: two requests failed on generation 1; the first already replaced it.
    const { cache, closed, built } = counting();
    const stale = await cache.acquire();
    await cache.invalidate(stale.generation);
    const fresh = await cache.acquire();

    // Act
    await cache.invalidate(stale.generation);
    const after = await cache.acquire();

    // Assert
    expect(after).toEqual(fresh);
    expect(closed).toEqual([1]);
    expect(built).toEqual([1, 2]);
  });

  it('leaves a build in progress alone when a stale generation is invalidated', async () => {
    // Prepare
    const second = deferred<Resource>();
    const { cache, closed } = counting({ create: async (id) => (id === 1 ? { id } : second.promise) });
    const stale = await cache.acquire();
    await cache.invalidate(stale.generation);
    const building = cache.acquire();

    // Act
    await cache.invalidate(stale.generation);
    second.resolve({ id: 2 });

    // Assert
    await expect(building).resolves.toEqual({ value: { id: 2 }, generation: 2 });
    await expect(cache.acquire()).resolves.toEqual({ value: { id: 2 }, generation: 2 });
    expect(closed).toEqual([1]);
  });

  it('logs a failed close, still replaces the resource, and resolves the invalidation', async () => {
    // Prepare
    const { cache, warn } = counting({ close: async () => Promise.reject(new Error('end failed')) });
    const lease = await cache.acquire();

    // Act
    const invalidated = cache.invalidate(lease.generation);

    // Assert
    await expect(invalidated).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith('closing the stale test resource failed', { generation: 1, error: 'end failed' });
    await expect(cache.acquire()).resolves.toEqual({ value: { id: 2 }, generation: 2 });
  });

  it('closes what is current on close, and nothing when nothing was built', async () => {
    // Prepare
    const { cache, closed } = counting();
    await cache.close();
    await cache.get();

    // Act
    await cache.close();
    await cache.close();

    // Assert
    expect(closed).toEqual([1]);
  });
});
