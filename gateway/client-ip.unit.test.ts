import { clientIpOf } from './auth.plugin';

describe("the client's address", () => {
  const proxies = ['10.0.0.5', '10.0.0.6'];

  it('is the peer when no proxy is configured, whatever X-Forwarded-For says', () => {
    expect(clientIpOf('198.51.100.7', '81.2.69.142', [])).toBe('198.51.100.7');
  });

  it('is the peer when the peer is not a configured proxy', () => {
    expect(clientIpOf('198.51.100.7', '81.2.69.142', proxies)).toBe('198.51.100.7');
  });

  it('is the nearest forwarded address that is not a configured proxy', () => {
    expect(clientIpOf('10.0.0.5', '203.0.113.9, 81.2.69.142, 10.0.0.6', proxies)).toBe('81.2.69.142');
    expect(clientIpOf('::ffff:10.0.0.5', '81.2.69.142', proxies)).toBe('81.2.69.142');
    expect(clientIpOf('10.0.0.5', ['203.0.113.9', '81.2.69.142'], proxies)).toBe('81.2.69.142');
  });

  it('falls back to the peer on a malformed header or one naming only proxies', () => {
    expect(clientIpOf('10.0.0.5', 'not-an-ip', proxies)).toBe('10.0.0.5');
    expect(clientIpOf('10.0.0.5', '10.0.0.6', proxies)).toBe('10.0.0.5');
    expect(clientIpOf('10.0.0.5', undefined, proxies)).toBe('10.0.0.5');
  });
});
