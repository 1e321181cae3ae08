import { DbIpCountryLocator, plainAddress } from './approximate-location';

describe('approximate location of an IP address', () => {
  const locator = new DbIpCountryLocator();

  it.each([
    ['8.8.8.8', 'United States'],
    ['1.1.1.1', 'Australia'],
    ['81.2.69.142', 'United Kingdom'],
    ['::ffff:81.2.69.142', 'United Kingdom'],
    ['2a00:1450:4001:81c::200e', 'Germany'],
  ])('places the public address %s in %s', (ip, country) => {
    expect(locator.locate(ip)).toBe(country);
  });

  it.each(['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.1.2.3', '192.168.0.10', '172.20.0.1', '100.64.1.1', 'fe80::1', 'fd00::1', 'not an ip', '', undefined, null])(
    'has no location for the loopback, private or malformed address %p',
    (ip) => {
      expect(locator.locate(ip)).toBeNull();
    },
  );

  it('reads IPv4 clients of a dual-stack socket as plain IPv4', () => {
    expect(plainAddress('::ffff:8.8.8.8')).toBe('8.8.8.8');
    expect(plainAddress('2001:db8::1')).toBe('2001:db8::1');
  });
});
