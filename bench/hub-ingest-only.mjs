// The hub's compiled `serve` with the HTTP role only (no in-process worker): webhooks are stored
// and queued, nothing drains the queue. Used by ingest.bench.ts to build a backlog and to see what
// ingestion costs without the worker competing for the event loop and the SQLite connection.
// SWITCHBOARD_DIST points at another build's dist/ (ingest.bench.ts --hub-root).
const dist = process.env.SWITCHBOARD_DIST ?? new URL('../dist/', import.meta.url).href;
const { serve } = await import(new URL('cli/serve.command.js', dist).href);

await serve({ ...process.env }, { http: true, worker: false });
