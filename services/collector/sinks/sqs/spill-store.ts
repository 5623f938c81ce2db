import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface SpillSegment {
  name: string;
  bodies: string[];
  createdAt: number;
}

/**
 * Where history batches wait while SQS is unreachable: append-only segment files
 * (one message body per line), fsync'd on every append so a crash loses nothing
 * already accepted, replayed oldest first and deleted once sent. Replaying a
 * segment twice after a crash is harmless: inserts are idempotent.
 *
 * Bounded by `maxBytes`: when full, `append` refuses (returns false) and the caller
 * counts the batch as dropped. Refusing the newest rather than deleting the oldest
 * keeps what is on disk contiguous and replayable in order.
 */
export class SpillStore {
  private active: { name: string; fd: number; bytes: number } | undefined;
  private totalBytes = 0;
  private sequence = 0;

  constructor(
    private readonly directory: string,
    private readonly maxBytes: number,
    private readonly segmentBytes = 8 * 1024 * 1024,
  ) {
    mkdirSync(directory, { recursive: true });
    for (const name of this.segmentNames()) {
      this.totalBytes += statSync(join(directory, name)).size;
      this.sequence = Math.max(this.sequence, Number(name.slice(6, 18)));
    }
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get isEmpty(): boolean {
    return this.totalBytes === 0;
  }

  /** Creation time (epoch ms) of the oldest spilled batch, or undefined. */
  oldestAt(): number | undefined {
    const oldest = this.segmentNames()[0];
    if (!oldest) return undefined;
    const stat = statSync(join(this.directory, oldest));
    return stat.birthtimeMs || stat.mtimeMs;
  }

  append(bodies: readonly string[]): boolean {
    const text = bodies.map((body) => `${body}\n`).join('');
    const size = Buffer.byteLength(text);
    if (this.totalBytes + size > this.maxBytes) return false;
    if (!this.active || this.active.bytes >= this.segmentBytes) this.rotate();
    const active = this.active!;
    writeSync(active.fd, text);
    fsyncSync(active.fd);
    active.bytes += size;
    this.totalBytes += size;
    return true;
  }

  /** The oldest segment, sealing the active one first so nothing is appended to what is being replayed. */
  oldest(): SpillSegment | undefined {
    const names = this.segmentNames();
    const name = names[0];
    if (!name) return undefined;
    if (this.active?.name === name) this.seal();
    const path = join(this.directory, name);
    const bodies = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    return { name, bodies, createdAt: statSync(path).mtimeMs };
  }

  /** Deletes a segment once every body in it was sent. */
  remove(name: string): void {
    const path = join(this.directory, name);
    if (!existsSync(path)) return;
    this.totalBytes -= statSync(path).size;
    unlinkSync(path);
  }

  close(): void {
    this.seal();
  }

  private rotate(): void {
    this.seal();
    this.sequence += 1;
    const name = `spill-${String(this.sequence).padStart(12, '0')}.jsonl`;
    this.active = { name, fd: openSync(join(this.directory, name), 'a'), bytes: 0 };
  }

  private seal(): void {
    if (!this.active) return;
    closeSync(this.active.fd);
    this.active = undefined;
  }

  private segmentNames(): string[] {
    return readdirSync(this.directory)
      .filter((name) => /^spill-\d{12}\.jsonl$/.test(name))
      .sort();
  }
}
