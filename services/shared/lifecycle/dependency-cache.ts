import { errorMessage } from '../errors';
import type { Logger } from '../logger';

/** A built resource and the generation it belongs to, so a caller can invalidate exactly what it used. */
export interface Lease<T> {
  readonly value: T;
  readonly generation: number;
}

/** What consumers (handlers, reconcilers, runners) need from the owner of their connections. */
export interface DependencySource<T> {
  acquire(): Promise<Lease<T>>;
  /** Drops `generation` when it is still the current one; a later generation is left alone. */
  invalidate(generation: number): Promise<void>;
}

export interface DependencyCacheOptions<T> {
  /** Builds the resource: resolves secrets, opens pools. */
  create: () => Promise<T>;
  /** Releases it; called at most once per built resource. */
  close: (value: T) => Promise<void>;
  logger?: Logger;
  /** Named in log lines, e.g. "config API connections". */
  name?: string;
}

interface Entry<T> {
  generation: number;
  promise: Promise<T>;
}

/**
 * The one owner of a long-lived resource's lifecycle (a container's pool and
 * Redis client). Every consumer goes through it, so after an invalidation no one
 * holds on to a closed resource: concurrent gets share one build, a failed build
 * is forgotten (the next get tries again), and an invalidation closes the old
 * resource once. Invalidations name the generation they saw fail: a request that
 * failed on generation 1 after another request already replaced it with 2 must
 * not throw the fresh connections away.
 */
export class DependencyCache<T> implements DependencySource<T> {
  private current: Entry<T> | undefined;
  private generations = 0;

  constructor(private readonly options: DependencyCacheOptions<T>) {}

  async get(): Promise<T> {
    return (await this.acquire()).value;
  }

  acquire(): Promise<Lease<T>> {
    const entry = (this.current ??= this.build());
    return entry.promise.then((value) => ({ value, generation: entry.generation }));
  }

  async invalidate(generation: number): Promise<void> {
    const entry = this.current;
    if (!entry || entry.generation !== generation) return;
    this.current = undefined;
    await this.closeEntry(entry);
  }

  /** Closes whatever is current (shutdown); the next get builds again. */
  async close(): Promise<void> {
    const entry = this.current;
    if (!entry) return;
    this.current = undefined;
    await this.closeEntry(entry);
  }

  private build(): Entry<T> {
    this.generations += 1;
    const entry: Entry<T> = { generation: this.generations, promise: Promise.resolve().then(() => this.options.create()) };
    entry.promise.catch(() => {
      if (this.current === entry) this.current = undefined;
    });
    return entry;
  }

  private async closeEntry(entry: Entry<T>): Promise<void> {
    let value: T;
    try {
      value = await entry.promise;
    } catch {
      // Never built, so nothing to close.
      return;
    }
    try {
      await this.options.close(value);
    } catch (error) {
      // The connections are abandoned either way; a failed close must not fail the request that asked for fresh ones.
      this.options.logger?.warn(`closing the stale ${this.options.name ?? 'dependencies'} failed`, { generation: entry.generation, error: errorMessage(error) });
    }
  }
}
