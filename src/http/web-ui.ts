import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * The shared inbox (web/, built by `npm run build` into dist/web) served by the hub itself at `/`.
 * Every built file gets its own route (no wildcard), so `/api`, `/webhooks`, `/healthz` and the
 * JSON 404 keep working exactly as before; the single-page app's own paths answer index.html.
 */

/** dist/web from both src/http (tsx) and dist/http (compiled): two levels up, then dist/web. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** Paths the app routes in the browser; a reload on any of them must load the app. */
const APP_PATHS = ['/', '/login', '/inbox', '/inbox/*', '/admin', '/admin/*'];

// The app loads only its own files; images in ad referrals come from Meta's CDN over https.
const CSP = [
  "default-src 'self'",
  "img-src 'self' data: blob: https:",
  "media-src 'self' blob:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'same-origin');
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Switchboard</title>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto;line-height:1.5">
<h1>The inbox is not built yet</h1><p>Run <code>npm run build</code> (it builds the API and the web UI), then restart the hub.
The REST API is available under <code>/api/v1</code> meanwhile.</p></body></html>`;

export async function webUi(app: FastifyInstance, options: { root?: string } = {}): Promise<void> {
  const root = options.root ?? DEFAULT_WEB_ROOT;
  if (!existsSync(`${root}/index.html`)) {
    app.log.warn({ root }, 'the web UI is not built (npm run build); / answers a page saying so');
    for (const path of APP_PATHS) {
      app.get(path, { schema: { hide: true } }, async (_request, reply) => secure(reply).status(503).type('text/html; charset=utf-8').send(NOT_BUILT));
    }
    return;
  }

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: false,
    cacheControl: false,
    // Built assets carry a content hash in their name: cache them for good. Everything else is revalidated.
    setHeaders(res, path) {
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  for (const path of APP_PATHS) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      secure(reply).header('cache-control', 'no-cache').sendFile('index.html', root, { maxAge: 0, immutable: false, cacheControl: false }),
    );
  }
}
