/**
 * Runs bench:gateway's load generator on its own thread, so that the servers (all on the main
 * thread's event loop) cannot delay the client's clock, and the client's work does not count against them.
 */
import { runLoad, serveLoads } from './load';

serveLoads(runLoad, (result) => [result.latencies.buffer as ArrayBuffer]);
