/**
 * What went wrong with one call to the Graph API, before classification. Meta's HTTP statuses
 * are unreliable (130429 comes as 400 or 429, 132001 as 400 or 404), so the code decides.
 */
export type SendFailure =
  | {
      kind: 'meta';
      httpStatus: number;
      code: number;
      subcode: number | null;
      title: string;
      details: string | null;
      fbtraceId: string | null;
    }
  /** A 5xx or a body that is not Meta's error envelope. */
  | { kind: 'http'; httpStatus: number; body: string }
  /** The connection failed before a request reached Meta: nothing was sent. */
  | { kind: 'network'; message: string }
  /** No answer in time: Meta may or may not have accepted the message. */
  | { kind: 'timeout'; message: string };
