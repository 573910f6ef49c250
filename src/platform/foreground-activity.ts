/**
 * Counts arrivals of foreground work (in `serve`: HTTP requests), so that background work in
 * the same process can tell whether it competes with them. A counter, not a gauge of requests in
 * flight: an inbox's event stream stays open for hours, but arrives once.
 */
export class ForegroundActivity {
  private count = 0;

  /** Bound, so it can be handed to an event emitter as is. */
  readonly mark = (): void => {
    this.count++;
  };

  /**
   * For `http.Server`'s `request` event: every request but the probes (`/metrics`, `/healthz`,
   * `/readyz`), which a monitor sends on its own schedule and which no user waits for.
   */
  readonly markRequest = (request: { url?: string | undefined }): void => {
    if (!isProbe(request.url ?? '')) this.count++;
  };

  /** How many arrivals so far; two readings differ when work arrived between them. */
  arrivals(): number {
    return this.count;
  }
}

const PROBES = ['/metrics', '/healthz', '/readyz'];

function isProbe(url: string): boolean {
  return PROBES.some((path) => url.startsWith(path) && (url.length === path.length || url[path.length] === '?'));
}
