import { mailRetryDelayMs } from './mail.repository';
import { mailDomain, messageIdOf } from './smtp-transport';

describe('outgoing mail', () => {
  it('retries after 1 s, doubling, at most every 15 minutes', () => {
    expect([1, 2, 3, 4].map(mailRetryDelayMs)).toEqual([1000, 2000, 4000, 8000]);
    expect(mailRetryDelayMs(30)).toBe(15 * 60_000);
  });

  it('derives the Message-ID from the outbox row and the From domain', () => {
    expect(mailDomain('Console <no-reply@mail.example.com>')).toBe('mail.example.com');
    expect(mailDomain('no-reply@example.com')).toBe('example.com');
    expect(messageIdOf('6a1f0d1e-5c1b-4a8e-9d59-2b1f3c4d5e6f', 'Console <no-reply@example.com>')).toBe('<6a1f0d1e-5c1b-4a8e-9d59-2b1f3c4d5e6f@example.com>');
  });
});
