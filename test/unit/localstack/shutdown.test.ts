import { orderShutdown, SHUTDOWN_ORDER, stopInOrder, type PipelinePart, type ShutdownStep } from '../../../localstack/env/shutdown';

/** A stop that resolves only when the test releases it, recording when it began. */
function gatedStep(part: PipelinePart, log: string[]): { step: ShutdownStep; release: () => void } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const step: ShutdownStep = {
    part,
    name: part,
    stop: async () => {
      log.push(`begin ${part}`);
      await gate;
      log.push(`end ${part}`);
    },
  };
  return { step, release: () => release() };
}

const immediate = (part: PipelinePart, log: string[]): ShutdownStep => ({ part, name: part, stop: async () => void log.push(part) });

/** Lets every pending promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('local pipeline shutdown order', () => {
  it('stops against the data flow: collector first, then simulator, ingest runner, API, SQS endpoint, Redis, PostgreSQL', () => {
    // Assert
    expect(SHUTDOWN_ORDER).toEqual(['gateway', 'collector', 'simulator', 'ingest', 'api', 'sqs', 'redis', 'postgres']);
  });

  it('orders the steps npm start registers in start order', () => {
    // Prepare: services first, then ingest, simulator, collector, API, as localstack/start.ts starts them.
    const log: string[] = [];
    const started = (['redis', 'postgres', 'sqs', 'ingest', 'simulator', 'collector', 'api'] as const).map((part) => immediate(part, log));

    // Act
    const ordered = orderShutdown(started).map((step) => step.part);

    // Assert
    expect(ordered).toEqual(['collector', 'simulator', 'ingest', 'api', 'sqs', 'redis', 'postgres']);
  });

  it('keeps the given order among steps of the same part', () => {
    // Prepare
    const log: string[] = [];
    const steps: ShutdownStep[] = [
      { part: 'sqs', name: 'first sqs', stop: async () => void log.push('first sqs') },
      immediate('collector', log),
      { part: 'sqs', name: 'second sqs', stop: async () => void log.push('second sqs') },
    ];

    // Act
    const names = orderShutdown(steps).map((step) => step.name);

    // Assert
    expect(names).toEqual(['collector', 'first sqs', 'second sqs']);
  });

  it('waits for each part to exit before stopping the next', async () => {
    // Prepare
    const log: string[] = [];
    const collector = gatedStep('collector', log);
    const ingest = gatedStep('ingest', log);
    const sqs = gatedStep('sqs', log);

    // Act
    const done = stopInOrder([sqs.step, ingest.step, collector.step], { failed: () => undefined });
    await settle();
    const whileCollectorStops = [...log];
    collector.release();
    await settle();
    const whileIngestStops = [...log];
    ingest.release();
    await settle();
    sqs.release();
    await done;

    // Assert: the SQS endpoint outlives the ingest runner's last DeleteMessageBatch.
    expect(whileCollectorStops).toEqual(['begin collector']);
    expect(whileIngestStops).toEqual(['begin collector', 'end collector', 'begin ingest']);
    expect(log).toEqual(['begin collector', 'end collector', 'begin ingest', 'end ingest', 'begin sqs', 'end sqs']);
  });

  it('reports a part that fails to stop and still stops the rest', async () => {
    // Prepare
    const log: string[] = [];
    const failed: string[] = [];
    const steps: ShutdownStep[] = [
      immediate('postgres', log),
      { part: 'ingest', name: 'ingest runner', stop: () => Promise.reject(new Error('already gone')) },
      immediate('redis', log),
      immediate('collector', log),
    ];

    // Act
    await stopInOrder(steps, {
      stopping: (step) => log.push(`stopping ${step.name}`),
      failed: (step, error) => failed.push(`${step.name}: ${(error as Error).message}`),
    });

    // Assert
    expect(failed).toEqual(['ingest runner: already gone']);
    expect(log).toEqual(['stopping collector', 'collector', 'stopping ingest runner', 'stopping redis', 'redis', 'stopping postgres', 'postgres']);
  });
});
