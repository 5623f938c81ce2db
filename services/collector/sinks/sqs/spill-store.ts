import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface SpillSegment {
  name: string;
  /** The bodies whose lines are whole; torn or corrupt lines are left out and counted in `tornLines`. */
  bodies: string[];
  tornLines: number;
  createdAt: number;
}

/** `<16 hex of the body's SHA-256> <body>`: a line cut short by a crash or a full disk fails the check. */
const CHECK_LENGTH = 16;
export const SEGMENT_NAME = /^spill-\d{12}\.jsonl$/;

function checksum(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, CHECK_LENGTH);
}

export function encodeSpillLine(body: string): string {
  return `${checksum(body)} ${body}\n`;
}

/** The body of a whole line, or undefined for a torn or corrupt one. */
export function decodeSpillLine(line: string): string | undefined {
  if (line.length < CHECK_LENGTH + 1 || line[CHECK_LENGTH] !== ' ') return undefined;
  const body = line.slice(CHECK_LENGTH + 1);
  return checksum(body) === line.slice(0, CHECK_LENGTH) ? body : undefined;
}

/**
 * Where history batches wait while SQS cannot take them: append-only segment
 * files (one checksummed message body per line), fsync'd on every append so a
 * crash loses nothing already accepted, replayed oldest first and deleted once
 * sent. Replaying a segment twice after a crash is harmless: inserts are
 * idempotent.
 *
 * Bounded by `maxBytes`: when full, `append` refuses (returns false) and the
 * caller keeps or counts the batch. Refusing the newest rather than deleting
 * the oldest keeps what is on disk contiguous and replayable in order.
 *
 * A write that fails part way (ENOSPC, EIO) is cut back to the last whole line
 * and the segment is sealed, so the next append starts a clean file; a line
 * torn anyway (the task killed mid-write) fails its checksum on replay and is
 * skipped, never sent.
 */
export class SpillStore {
  private active: { name: string; fd: number; bytes: number } | undefined;
  private totalBytes = 0;
  private sequence = 0;

  constructor(
    readonly directory: string,
    private readonly maxBytes: number,
    private readonly segmentBytes = 8 * 1024 * 1024,
  ) {
    mkdirSync(directory, { recursive: true });
    this.rescan();
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get isEmpty(): boolean {
    return this.totalBytes === 0;
  }

  /** Re-reads sizes and the sequence from disk: after segments were moved in from another directory. */
  rescan(): void {
    this.totalBytes = 0;
    for (const name of this.segmentNames()) {
      this.totalBytes += statSync(join(this.directory, name)).size;
      this.sequence = Math.max(this.sequence, Number(name.slice(6, 18)));
    }
  }

  /** Creation time (epoch ms) of the oldest spilled batch, or undefined. */
  oldestAt(): number | undefined {
    const oldest = this.segmentNames()[0];
    if (!oldest) return undefined;
    const stat = statSync(join(this.directory, oldest));
    return stat.birthtimeMs || stat.mtimeMs;
  }

  /** A name for a segment that sorts after every existing one (for segments moved in). */
  nextSegmentName(): string {
    this.sequence += 1;
    return `spill-${String(this.sequence).padStart(12, '0')}.jsonl`;
  }

  /**
   * Appends and fsyncs; false when the cap is reached. Throws the file system's
   * error (EACCES, ENOSPC, EROFS) after undoing the partial write.
   */
  append(bodies: readonly string[]): boolean {
    const text = bodies.map(encodeSpillLine).join('');
    const data = Buffer.from(text);
    if (this.totalBytes + data.length > this.maxBytes) return false;
    if (!this.active || this.active.bytes >= this.segmentBytes) this.rotate();
    const active = this.active!;
    try {
      let written = 0;
      // writeSync may write less than asked (a signal, a nearly full disk): loop until all of it is down.
      while (written < data.length) written += writeSync(active.fd, data, written, data.length - written);
      fsyncSync(active.fd);
    } catch (error) {
      this.abandonActive(active);
      throw error;
    }
    active.bytes += data.length;
    this.totalBytes += data.length;
    return true;
  }

  /** The oldest segment, sealing the active one first so nothing is appended to what is being replayed. */
  oldest(): SpillSegment | undefined {
    const names = this.segmentNames();
    const name = names[0];
    if (!name) return undefined;
    if (this.active?.name === name) this.seal();
    const path = join(this.directory, name);
    const bodies: string[] = [];
    let tornLines = 0;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line === '') continue;
      const body = decodeSpillLine(line);
      if (body === undefined) tornLines += 1;
      else bodies.push(body);
    }
    return { name, bodies, tornLines, createdAt: statSync(path).mtimeMs };
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
    const name = this.nextSegmentName();
    this.active = { name, fd: openSync(join(this.directory, name), 'a'), bytes: 0 };
  }

  private seal(): void {
    if (!this.active) return;
    const { fd } = this.active;
    this.active = undefined;
    closeSync(fd);
  }

  /** Cuts the segment back to its last whole line (best effort) and closes it; an empty one is removed. */
  private abandonActive(active: { name: string; fd: number; bytes: number }): void {
    this.active = undefined;
    try {
      if (fstatSync(active.fd).size > active.bytes) ftruncateSync(active.fd, active.bytes);
    } catch {
      // The file stays torn; its last line fails the checksum on replay and is skipped.
    }
    try {
      closeSync(active.fd);
      if (active.bytes === 0) unlinkSync(join(this.directory, active.name));
    } catch {
      // An unreadable directory is the append error the caller already reports.
    }
  }

  private segmentNames(): string[] {
    return readdirSync(this.directory)
      .filter((name) => SEGMENT_NAME.test(name))
      .sort();
  }
}
