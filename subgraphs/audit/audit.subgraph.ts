import type { SubgraphDefinition } from '../kit/subgraph';
import { UnitOfWork } from '../kit/transaction';
import { AuditEventEntity } from './audit-event/audit-event.entity';
import { AuditEventRepository } from './audit-event/audit-event.repository';
import { AuditLogResolver, AuditStreamResolver, AuditVerificationResolver, auditReferences } from './audit-event/audit-event.resolver';
import { AuditEventService } from './audit-event/audit-event.service';
import { AuditRetentionService } from './audit-event/audit-retention.service';
import { AuditTeamType } from './audit-event/audit-event.types';
import { AuditRecorderConsumer } from './audit-event/audit-recorder.consumer';
import { GatewayOperationsConsumer } from './operation-log/gateway-operations.consumer';
import type { AuditLoaders, AuditServices } from './audit.context';
import { AuditInitial1732800000000 } from './migrations/1732800000000-audit-initial';
import { AuditChainAndSearch1733000000000 } from './migrations/1733000000000-audit-chain-and-search';

export const auditSubgraph: SubgraphDefinition<AuditServices, AuditLoaders> = {
  name: 'audit',
  entities: [AuditEventEntity],
  migrations: [AuditInitial1732800000000, AuditChainAndSearch1733000000000],
  schema: { resolvers: [AuditLogResolver, AuditVerificationResolver, AuditStreamResolver], orphanedTypes: [AuditTeamType], referenceResolvers: auditReferences },
  createServices: ({ dataSource, live, config }) => {
    const events = new AuditEventRepository(new UnitOfWork(dataSource));
    return { audit: new AuditEventService(events, live), retention: new AuditRetentionService(events, config.auditRetentionDays) };
  },
  createLoaders: () => ({}),
  consumers: (services) => [new AuditRecorderConsumer(services.audit), new GatewayOperationsConsumer(services.audit)],
  jobs: (services) => [{ name: 'audit.retention', everyMs: 60 * 60 * 1000, run: () => services.retention.run() }],
};
