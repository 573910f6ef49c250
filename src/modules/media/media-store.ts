import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * Media bytes on disk, content-addressed by SHA-256 (`<dir>/ab/abcdef…`): storing the same file
 * twice costs nothing, and a half-written file never has a final name (write, fsync, rename).
 */
export class MediaStore {
  private readonly root: string;

  constructor(directory: string) {
    this.root = resolve(directory);
  }

  /** Stores the bytes; returns their hex SHA-256 and the path relative to the store. */
  async put(bytes: Buffer): Promise<{ sha256: string; path: string }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const path = join(sha256.slice(0, 2), sha256);
    const target = join(this.root, path);
    if (await exists(target)) return { sha256, path };
    await mkdir(join(this.root, sha256.slice(0, 2)), { recursive: true });
    const temporary = `${target}.${randomBytes(6).toString('hex')}.part`;
    try {
      await writeFile(temporary, bytes, { flush: true });
      await rename(temporary, target);
    } finally {
      await rm(temporary, { force: true });
    }
    return { sha256, path };
  }

  open(path: string): ReadStream {
    return createReadStream(this.absolute(path));
  }

  async remove(path: string): Promise<void> {
    await rm(this.absolute(path), { force: true });
  }

  /** Paths come from our own rows, but never let one escape the store. */
  private absolute(path: string): string {
    const absolute = resolve(this.root, path);
    if (!absolute.startsWith(this.root)) throw new Error('media path outside the store');
    return absolute;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
