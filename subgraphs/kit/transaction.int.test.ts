import { startSubgraph, type StartedSubgraph } from '../../test/support/graph';
import type { TeamServices } from '../team/team.context';
import { teamSubgraph } from '../team/team.subgraph';
import { queryPrepared } from './transaction';

let team: StartedSubgraph<TeamServices>;

beforeAll(async () => {
  team = await startSubgraph(teamSubgraph, { app: { consumers: false, relay: false } });
});

afterAll(async () => {
  await team?.stop();
});

describe('prepared statements', () => {
  it('are seen by the statement log like any other statement, run after run', async () => {
    const run = () => team.app.infra.dataSource.transaction((tx) => queryPrepared<{ n: number }>(tx, 'kit.test.add', 'SELECT $1::int + 1 AS n', [41]));
    const { result, statements } = await team.app.infra.statements.capture(async () => [await run(), await run()]);
    expect(result).toEqual([[{ n: 42 }], [{ n: 42 }]]);
    expect(statements.filter((s) => s === 'SELECT $1::int + 1 AS n')).toHaveLength(2);
  });

  it('report a failing statement to the log and still fail the transaction', async () => {
    const failures: string[] = [];
    const log = team.app.infra.statements;
    const original = log.logQueryError.bind(log);
    log.logQueryError = (error, query) => {
      failures.push(query);
      original(error, query);
    };
    try {
      await expect(team.app.infra.dataSource.transaction((tx) => queryPrepared(tx, 'kit.test.fail', 'SELECT 1 / $1::int AS n', [0]))).rejects.toThrow(/division by zero/);
    } finally {
      log.logQueryError = original;
    }
    expect(failures).toEqual(['SELECT 1 / $1::int AS n']);
  });

  it('report a statement slower than the data source allows as slow', async () => {
    const ds = team.app.infra.dataSource;
    const options = ds.options as { maxQueryExecutionTime?: number };
    const limit = options.maxQueryExecutionTime;
    const log = team.app.infra.statements;
    const original = log.logQuerySlow.bind(log);
    const slow: [number, string][] = [];
    log.logQuerySlow = (ms, query) => void slow.push([ms, query]);
    options.maxQueryExecutionTime = 30;
    try {
      await ds.transaction((tx) => queryPrepared(tx, 'kit.test.sleep', 'SELECT pg_sleep($1::float8 / 1000)', [150]));
    } finally {
      options.maxQueryExecutionTime = limit;
      log.logQuerySlow = original;
    }
    expect(slow.map(([, query]) => query)).toEqual(['SELECT pg_sleep($1::float8 / 1000)']);
    expect(slow[0][0]).toBeGreaterThanOrEqual(150);
  });
});
