import { describe, expect, it } from 'vitest';
import { apiErrorSentence, failureReason } from './meta-errors';

describe('failureReason', () => {
  it.each([
    [131047, /More than 24 hours have passed/],
    [131026, /could not be delivered/],
    [131050, /stopped marketing messages/],
    [130429, /too quickly/],
    [131056, /Too many messages were sent to this customer/],
    [132000, /number of template parameters/],
    [132001, /does not exist in that language/],
  ])('says in words what Meta error %i means', (code, sentence) => {
    expect(failureReason({ code, title: 'terse title', details: null })).toMatch(sentence);
  });

  it("falls back to Meta's own title and details, with the code, for a code it does not know", () => {
    expect(failureReason({ code: 999_999, title: 'Something new', details: 'More about it' })).toBe('Something new: More about it (Meta error 999999).');
    expect(failureReason({ code: 999_999, title: '', details: null })).toBe('WhatsApp refused the message (Meta error 999999).');
  });

  it('still says something when the failure came without an error', () => {
    expect(failureReason(null)).toBe('The message could not be sent.');
  });
});

describe('apiErrorSentence', () => {
  it('explains a closed window and keeps the hub’s message for other codes', () => {
    expect(apiErrorSentence('WINDOW_CLOSED', 'x')).toMatch(/24-hour customer service window is closed/);
    expect(apiErrorSentence('SOMETHING_ELSE', 'The hub said so.')).toBe('The hub said so.');
  });
});
