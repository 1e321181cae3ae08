import { Resolver } from 'node:dns/promises';

/** Reads a name's TXT records through the system resolver, or the configured servers. */
export class DnsTxtLookup {
  constructor(private readonly servers: string[] = []) {}

  async txt(name: string): Promise<string[]> {
    const resolver = new Resolver({ timeout: 3000, tries: 2 });
    if (this.servers.length) resolver.setServers(this.servers);
    try {
      return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    } catch (err) {
      // No such name or no TXT records: simply nothing published.
      if (['ENODATA', 'ENOTFOUND', 'NXDOMAIN'].includes((err as { code?: string }).code ?? '')) return [];
      throw err;
    }
  }
}
