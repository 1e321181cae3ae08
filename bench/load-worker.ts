/**
 * Runs the load generator on its own thread, so that the servers (all on the main thread's event
 * loop) cannot delay the client's clock, and the client's work does not count against them.
 */
import { parentPort } from 'node:worker_threads';
import { runLoad, type LoadRun } from './load';

if (!parentPort) throw new Error('load-worker.ts must run as a worker thread');
const port = parentPort;

port.on('message', (run: LoadRun) => {
  runLoad(run).then(
    (result) => port.postMessage({ ok: true, result }, [result.latencies.buffer as ArrayBuffer]),
    (err: Error) => port.postMessage({ ok: false, error: err.stack ?? String(err) }),
  );
});
