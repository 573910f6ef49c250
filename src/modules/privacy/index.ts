export { exportContact, EXPORT_FORMAT, INBOX_SEARCH_METHOD, type ContactExport, type ExportDeps } from './export-contact.js';
export { eraseContact, eraseContactNow, type Erasure, type ErasureReport, type EraseOptions } from './erase-contact.js';
export {
  wasErasedAndOptedOut,
  reapplyErasureTombstone,
  identityHash,
  identityHashes,
  ERASURE_TOMBSTONE_SOURCE,
  type PersonIdentity,
} from './erasure-tombstone.js';
export { purgeOlderThan, PURGED_MEDIA_ERROR, type Purge, type PurgeReport } from './purge-older-than.js';
export { removeMediaFiles, type FileRemoval } from './media-files.js';
export { retentionPurgeJob, scheduleRetentionPurge, retentionPurgeRun, RETENTION_PURGE, type RetentionPurgeDeps } from './retention-purge.job.js';
export { privacyRoutes, MIN_SALT_LENGTH, type PrivacyRouteOptions } from './privacy.routes.js';
