import dns2 from 'dns2';
import type { AddressInfo } from 'node:net';

const { Packet } = dns2;

/** A real DNS server on loopback serving TXT records the test sets, for domain verification. */
export class TestDnsServer {
  readonly txt = new Map<string, string[]>();
  private server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      for (const data of this.txt.get(question.name.toLowerCase()) ?? []) {
        response.answers.push({ name: question.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 1, data } as never);
      }
      send(response);
    },
  });
  address = '';

  async start(): Promise<string> {
    await this.server.listen({ udp: { port: 0, address: '127.0.0.1', type: 'udp4' } } as never);
    const { port } = (this.server.addresses() as { udp: AddressInfo }).udp;
    this.address = `127.0.0.1:${port}`;
    return this.address;
  }

  async stop(): Promise<void> {
    await this.server.close();
  }
}
