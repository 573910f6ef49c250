export { MediaStore } from './media-store.js';
export { mediaRoutes } from './media.routes.js';
export { downloadMediaJob, DOWNLOAD_MEDIA } from './download-media.job.js';
export { recordInboundMedia } from './record-inbound-media.js';
export { mediaRepository } from './media.repository.js';
export { checkMedia, mediaKindFor, type MediaKind } from './core/media-limits.js';
