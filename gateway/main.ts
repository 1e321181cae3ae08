import { loadGatewayConfig } from '../subgraphs/kit/config';
import { Gateway } from './gateway';

const gateway = new Gateway(loadGatewayConfig(process.env));

const shutdown = (signal: string) => {
  gateway.logger.info({ signal }, 'shutting down');
  gateway.close().then(
    () => process.exit(0),
    (err) => {
      gateway.logger.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));

gateway.listen().catch((err) => {
  gateway.logger.fatal({ err }, 'failed to start');
  process.exit(1);
});
