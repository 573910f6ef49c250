/**
 * The 24-hour customer-service window: it opens (or restarts) when the user writes to a business
 * number; while it is open the business may send free-form messages, afterwards only templates
 * (Meta refuses with 131047).
 */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

export type ServiceWindow = {
  open: boolean;
  /** When the user last wrote to the number; null if never. */
  lastInboundAt: number | null;
  /** When the window closes (or closed); null if it never opened. */
  closesAt: number | null;
};

export function serviceWindow(lastInboundAt: number | null, now: number): ServiceWindow {
  if (lastInboundAt === null) return { open: false, lastInboundAt: null, closesAt: null };
  const closesAt = lastInboundAt + SERVICE_WINDOW_MS;
  return { open: now < closesAt, lastInboundAt, closesAt };
}

/** Everything but an approved template is free-form and needs an open window. */
export function needsServiceWindow(type: string): boolean {
  return type !== 'template';
}
