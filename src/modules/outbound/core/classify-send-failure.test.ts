import { describe, expect, it } from 'vitest';
import { classifySendFailure } from './classify-send-failure.js';
import type { SendFailure } from './send-failure.js';

const meta = (code: number, httpStatus = 400): SendFailure => ({ kind: 'meta', httpStatus, code, subcode: null, title: `(#${code})`, details: null, fbtraceId: null });

describe('classifySendFailure', () => {
  it.each([
    [130429, 'retry'],
    [131056, 'retry'],
    [4, 'retry'],
    [80007, 'retry'],
    [131000, 'retry'],
    [131016, 'retry'],
    [131057, 'retry'],
    [131026, 'fail'],
    [132000, 'fail'],
    [132001, 'fail'],
    [132015, 'fail'],
    [100, 'fail'],
    [131009, 'fail'],
    [131062, 'fail'],
    [190, 'token_expired'],
    [131050, 'opted_out'],
    [131047, 'window_closed'],
  ])('treats Meta error %i as %s', (code, action) => {
    expect(classifySendFailure(meta(code)).action).toBe(action);
  });

  it('waits 4^n seconds for the pair limit and backs off for the rest', () => {
    expect(classifySendFailure(meta(131056))).toMatchObject({ delay: 'pair' });
    expect(classifySendFailure(meta(130429, 429))).toMatchObject({ delay: 'backoff' });
  });

  it('retries server errors and network failures, but not other HTTP errors', () => {
    expect(classifySendFailure({ kind: 'http', httpStatus: 502, body: '' }).action).toBe('retry');
    expect(classifySendFailure({ kind: 'http', httpStatus: 429, body: '' }).action).toBe('retry');
    expect(classifySendFailure({ kind: 'http', httpStatus: 403, body: '' }).action).toBe('fail');
    expect(classifySendFailure({ kind: 'network', message: 'ECONNREFUSED' }).action).toBe('retry');
    expect(classifySendFailure(meta(999_999, 503)).action).toBe('retry');
  });

  it('does not resend blindly after a timeout: the message may have gone out', () => {
    expect(classifySendFailure({ kind: 'timeout', message: 'after 10 s' }).action).toBe('in_doubt');
  });
});
