export { recordAudit, listAudit, type AuditInput, type AuditEntry, type AuditPage, type AuditQuery, type AuditDeps } from './audit-log.js';
export { registerAuditHooks, auditEntryFor, targetTypeOf, type AuditHookDeps, type AuditRecorder } from './audit-hook.js';
export { auditRoutes } from './audit.routes.js';
