/**
 * The test run's configuration, read in one place. DATABASE_URL points at a server the tests
 * may create databases on; without it, global setup starts an embedded PostgreSQL.
 */
export const testEnv = {
  get adminDatabaseUrl(): string {
    const url = process.env.TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL;
    if (!url) throw new Error('No database: global setup should have started one');
    return url;
  },
  natsUrl: process.env.NATS_URL,
  redisUrl: process.env.REDIS_URL,
};
