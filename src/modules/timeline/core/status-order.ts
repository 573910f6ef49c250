/**
 * Delivery statuses only move forward, whatever order Meta's webhooks arrive in (ordering is not
 * guaranteed, and retries of old webhooks come late):
 *
 *   queued < accepted < sent < delivered < failed < read < played
 *
 * (`queued`: in our outbox; `accepted`: Meta answered the send with a wamid, nothing delivered yet.)
 *
 * `failed` outranks `sent` and `delivered` (a template held for pacing can be sent, then fail
 * with 132015), but never erases a `read` or `played`: if the customer read it, it arrived.
 * Taking the highest rank is commutative and idempotent, so replaying any subset of status
 * webhooks in any order gives the same result.
 */
export const STATUS_RANK = {
  unknown: 0,
  queued: 5,
  accepted: 7,
  sent: 10,
  delivered: 20,
  failed: 30,
  read: 40,
  played: 50,
} as const;

export type TimelineStatus = keyof typeof STATUS_RANK;

export function statusRank(status: string | null): number {
  return status !== null && status in STATUS_RANK ? STATUS_RANK[status as TimelineStatus] : 0;
}

/** The status to keep when `incoming` arrives for a message that is at `current`. */
export function mergeStatus(current: string | null, incoming: string): string | null {
  return statusRank(incoming) > statusRank(current) ? incoming : current;
}
