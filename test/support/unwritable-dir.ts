import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Makes a directory tree unwritable and back. Root ignores permission bits, so
 * as root the immutable attribute (`chattr +i`, ext4/xfs/btrfs) is used: no
 * file can be created, renamed or removed in it, and no file in it can be
 * opened for writing; undone by `chattr -i`. Otherwise `chmod a-w` does the same
 * for an ordinary user. Every path touched is remembered, so `restore` undoes
 * exactly that, also after a failure half way.
 */
export class UnwritableDirectory {
  private readonly locked: Array<{ path: string; mode: number }> = [];
  private readonly asRoot = process.getuid?.() === 0;

  constructor(private readonly root: string) {}

  get method(): string {
    return this.asRoot ? 'chattr +i (root ignores permission bits)' : 'chmod a-w';
  }

  lock(): void {
    if (!existsSync(this.root)) return;
    for (const path of this.tree(this.root)) {
      const mode = statSync(path).mode & 0o7777;
      if (this.asRoot) execFileSync('chattr', ['+i', path]);
      else chmodSync(path, mode & ~0o222);
      this.locked.push({ path, mode });
    }
  }

  restore(): void {
    // Children before their directory: with chmod a read-only directory would otherwise still be listed as locked.
    while (this.locked.length > 0) {
      const { path, mode } = this.locked.pop()!;
      if (!existsSync(path)) continue;
      if (this.asRoot) execFileSync('chattr', ['-i', path]);
      else chmodSync(path, mode);
    }
  }

  /** The directory first, then everything below it: locking the parent first keeps a new file from appearing unlocked. */
  private tree(path: string): string[] {
    const paths = [path];
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) paths.push(...this.tree(join(path, name)));
    return paths;
  }
}
