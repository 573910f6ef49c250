import type { DbExecutor } from '../../db/database.js';
import type { MediaStore } from '../media/index.js';
import { inChunks } from './person-data.js';

export type FileRemoval = { removed: string[]; kept: string[]; failed: { path: string; error: string }[] };

/**
 * Deletes media files from the store after the transaction that dropped their rows committed.
 * With `recheck` (the database, not a finished transaction), a path that a row references again
 * by now (the same bytes arrived from someone else: the store is content-addressed) is kept.
 * Never throws: a file that cannot be deleted is reported, the caller logs it.
 */
export async function removeMediaFiles(store: MediaStore, paths: readonly string[], recheck?: DbExecutor): Promise<FileRemoval> {
  const unique = [...new Set(paths)];
  const referenced = recheck
    ? new Set(
        (await inChunks(unique, (chunk) => recheck.selectFrom('media_files').select('storage_path').where('storage_path', 'in', chunk).execute())).map(
          (r) => r.storage_path,
        ),
      )
    : new Set<string | null>();
  const outcome: FileRemoval = { removed: [], kept: [], failed: [] };
  for (const path of unique) {
    if (referenced.has(path)) {
      outcome.kept.push(path);
      continue;
    }
    try {
      await store.remove(path);
      outcome.removed.push(path);
    } catch (error) {
      outcome.failed.push({ path, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return outcome;
}
