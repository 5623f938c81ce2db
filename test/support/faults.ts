import type { FaultPipeline } from './fault-pipeline';
import { UnwritableDirectory } from './unwritable-dir';

export type FaultName = 'collector-sigkill' | 'redis-restart' | 'redis-blackhole' | 'sqs-down' | 'postgres-down' | 'spill-unwritable' | 'exchange-drop' | 'exchange-stall';

export interface FaultStep {
  fault: FaultName;
  /** How long the fault lasts; for the SIGKILL, the time until the new task starts. Ignored by the exchange faults, which the collector must get out of itself. */
  durationMs: number;
}

export interface Injection {
  injectedAt: number;
  /** When the harness lifted the fault (for the exchange faults: when it was injected). */
  liftedAt: number;
  /** How the fault was made, for the report. */
  how: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function simFault(pipeline: FaultPipeline, action: 'drop' | 'stall'): Promise<void> {
  const response = await fetch(`${pipeline.sim.restUrl}/_sim/${action}`, { method: 'POST' });
  if (!response.ok) throw new Error(`simulator refused /_sim/${action}: ${response.status}`);
}

/**
 * Injects one fault, holds it for its duration and lifts it. Every fault is
 * lifted in a `finally`, so a failure part way leaves the pipeline whole for
 * the next step and for cleanup.
 */
export async function injectFault(pipeline: FaultPipeline, step: FaultStep, nextCollectorId: () => string): Promise<Injection> {
  const injectedAt = Date.now();
  const hold = async (lift: () => Promise<void> | void) => {
    try {
      await sleep(step.durationMs);
    } finally {
      await lift();
    }
  };
  switch (step.fault) {
    case 'collector-sigkill': {
      await pipeline.collector.stop('SIGKILL');
      await sleep(step.durationMs);
      const liftedAt = Date.now();
      // Its readiness is measured as the recovery, so it is not awaited here.
      await pipeline.spawnCollector(nextCollectorId());
      return { injectedAt, liftedAt, how: `SIGKILL, new task (new COLLECTOR_ID) after ${step.durationMs / 1000} s` };
    }
    case 'redis-restart':
      await pipeline.redis.restart(step.durationMs);
      return { injectedAt, liftedAt: Date.now(), how: `redis-server SIGKILLed, an empty one started ${step.durationMs / 1000} s later` };
    case 'redis-blackhole':
      pipeline.redisProxy.blackhole();
      await hold(() => pipeline.redisProxy.heal('resume'));
      return { injectedAt, liftedAt: Date.now(), how: 'proxy holds every byte, new connections hang' };
    case 'sqs-down':
      await pipeline.sqsProxy.stop();
      await hold(async () => void (await pipeline.sqsProxy.start()));
      return { injectedAt, liftedAt: Date.now(), how: 'SQS proxy closed (collector and ingest): refused' };
    case 'postgres-down':
      await pipeline.pgProxy.stop();
      await hold(async () => void (await pipeline.pgProxy.start()));
      return { injectedAt, liftedAt: Date.now(), how: 'PostgreSQL proxy (ingest side) closed: refused' };
    case 'spill-unwritable': {
      // The spill is written only while SQS refuses batches; without that the fault would test nothing.
      const spill = new UnwritableDirectory(pipeline.spillRoot);
      try {
        spill.lock();
        await pipeline.sqsProxy.stop();
        await hold(async () => void (await pipeline.sqsProxy.start()));
      } finally {
        spill.restore();
      }
      return { injectedAt, liftedAt: Date.now(), how: `SPILL_DIR tree ${spill.method} while SQS is down` };
    }
    case 'exchange-drop':
      await simFault(pipeline, 'drop');
      return { injectedAt, liftedAt: injectedAt, how: 'POST /_sim/drop: every socket destroyed' };
    case 'exchange-stall':
      await simFault(pipeline, 'stall');
      return { injectedAt, liftedAt: injectedAt, how: 'POST /_sim/stall: connections open, nothing flows' };
  }
}
