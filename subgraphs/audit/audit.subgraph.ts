import type { SubgraphDefinition } from '../kit/subgraph';
import { UnitOfWork } from '../kit/transaction';
import { AuditEventEntity } from './audit-event/audit-event.entity';
import { AuditEventRepository } from './audit-event/audit-event.repository';
import { AuditLogResolver, auditReferences } from './audit-event/audit-event.resolver';
import { AuditEventService } from './audit-event/audit-event.service';
import { AuditTeamType } from './audit-event/audit-event.types';
import { AuditRecorderConsumer } from './audit-event/audit-recorder.consumer';
import type { AuditLoaders, AuditServices } from './audit.context';
import { AuditInitial1732800000000 } from './migrations/1732800000000-audit-initial';

export const auditSubgraph: SubgraphDefinition<AuditServices, AuditLoaders> = {
  name: 'audit',
  entities: [AuditEventEntity],
  migrations: [AuditInitial1732800000000],
  schema: { resolvers: [AuditLogResolver], orphanedTypes: [AuditTeamType], referenceResolvers: auditReferences },
  createServices: ({ dataSource }) => ({ audit: new AuditEventService(new AuditEventRepository(new UnitOfWork(dataSource))) }),
  createLoaders: () => ({}),
  consumers: (services) => [new AuditRecorderConsumer(services.audit)],
};
