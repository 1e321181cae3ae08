/**
 * Node flags for each service process where the graph's services share one machine (`npm start`,
 * and the tests' and benches' graph of separate processes; docker-compose sets the same through
 * NODE_OPTIONS). V8 gives every process four background threads for garbage collection and
 * compilation: with five processes on a few cores, their collectors working at once take every
 * core from the requests in flight. One each keeps collection concurrent without that pile-up.
 */
export const serviceNodeFlags: readonly string[] = ['--v8-pool-size=1'];
