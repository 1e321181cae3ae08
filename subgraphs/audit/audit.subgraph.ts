import { auditRetentionUrl } from '../kit/config';
import { createDataSource } from '../kit/database';
import type { SubgraphDefinition } from '../kit/subgraph';
import { UnitOfWork } from '../kit/transaction';
import { AuditEventEntity } from './audit-event/audit-event.entity';
import { AuditEventRepository } from './audit-event/audit-event.repository';
import { AuditLogResolver, AuditStreamResolver, AuditVerificationResolver, auditReferences } from './audit-event/audit-event.resolver';
import { AuditEventService } from './audit-event/audit-event.service';
import { AuditRetentionRepository } from './audit-event/audit-retention.repository';
import { AuditRetentionService } from './audit-event/audit-retention.service';
import { auditExportRoute } from './audit-event/audit-export.route';
import { AuditTeamType } from './audit-event/audit-event.types';
import { AuditRecorderConsumer } from './audit-event/audit-recorder.consumer';
import { GatewayOperationsConsumer } from './operation-log/gateway-operations.consumer';
import { AuditRequestLogs1733100000000 } from './migrations/1733100000000-audit-request-logs';
import { ApiRequestLogConsumer } from './request-log/request-log.consumer';
import { ApiRequestLogBatchEntity } from './request-log/request-log.entity';
import { ApiRequestLogRepository } from './request-log/request-log.repository';
import { ApiRequestLogService } from './request-log/request-log.service';
import type { AuditLoaders, AuditServices } from './audit.context';
import { AuditInitial1732800000000 } from './migrations/1732800000000-audit-initial';
import { AuditChainAndSearch1733000000000 } from './migrations/1733000000000-audit-chain-and-search';
import { AuditRetentionRole1734000000000 } from './migrations/1734000000000-audit-retention-role';
import { AuditEventHours1734100000000 } from './migrations/1734100000000-audit-event-hours';
import { AuditRequestLogBatches1734200000000 } from './migrations/1734200000000-audit-request-log-batches';

export const auditSubgraph: SubgraphDefinition<AuditServices, AuditLoaders> = {
  name: 'audit',
  entities: [AuditEventEntity, ApiRequestLogBatchEntity],
  migrations: [AuditInitial1732800000000, AuditChainAndSearch1733000000000, AuditRequestLogs1733100000000, AuditRetentionRole1734000000000, AuditEventHours1734100000000, AuditRequestLogBatches1734200000000],
  schema: { resolvers: [AuditLogResolver, AuditVerificationResolver, AuditStreamResolver], orphanedTypes: [AuditTeamType], referenceResolvers: auditReferences },
  createServices: ({ dataSource, live, config, logger }) => {
    const uow = new UnitOfWork(dataSource);
    const events = new AuditEventRepository(uow);
    // Retention deletes through its own role; the application's role cannot delete audit rows.
    const { dataSource: retentionDb } = createDataSource({
      url: config.auditRetentionDatabaseUrl ?? auditRetentionUrl(config.databaseUrl),
      schema: 'audit',
      entities: [],
      migrations: [],
      logger,
      poolSize: 2,
    });
    return {
      audit: new AuditEventService(events, live),
      retention: new AuditRetentionService(new AuditRetentionRepository(uow, retentionDb), config.auditRetentionDays),
      requestLogs: new ApiRequestLogService(new ApiRequestLogRepository(uow), config.auditRequestBodies ?? false),
    };
  },
  createLoaders: () => ({}),
  exports: (services) => ({ audit: auditExportRoute(services.audit) }),
  consumers: (services) => [new AuditRecorderConsumer(services.audit), new GatewayOperationsConsumer(services.audit), new ApiRequestLogConsumer(services.requestLogs)],
  workers: (services) => [{ start: () => undefined, stop: () => services.retention.close() }],
  jobs: (services) => [
    { name: 'audit.retention', everyMs: 60 * 60 * 1000, run: () => services.retention.run() },
    { name: 'audit.request-log-retention', everyMs: 60 * 60 * 1000, run: () => services.requestLogs.runRetention() },
  ],
};
