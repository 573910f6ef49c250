import type { DbExecutor, MediaFileTable } from '../../db/database.js';

export type MediaFileRow = MediaFileTable;

export const mediaRepository = {
  /** Registers a file to download; a media id already known is left as it is. */
  async insertIfAbsent(exec: DbExecutor, row: MediaFileRow): Promise<void> {
    await exec.insertInto('media_files').values(row).onConflict((oc) => oc.column('whatsapp_media_id').doNothing()).execute();
  },

  async findByWhatsAppId(exec: DbExecutor, whatsappMediaId: string): Promise<MediaFileRow | undefined> {
    return exec.selectFrom('media_files').selectAll().where('whatsapp_media_id', '=', whatsappMediaId).executeTakeFirst();
  },

  /** By our id or by WhatsApp's media id (the one on the timeline). */
  async find(exec: DbExecutor, id: string): Promise<MediaFileRow | undefined> {
    return exec
      .selectFrom('media_files')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', id), eb('whatsapp_media_id', '=', id)]))
      .executeTakeFirst();
  },

  async update(exec: DbExecutor, id: string, changes: Partial<Omit<MediaFileRow, 'id'>>): Promise<void> {
    await exec.updateTable('media_files').set(changes).where('id', '=', id).execute();
  },
};
