import type { RequestContext } from '../kit/subgraph';
import type { AuditEventService } from './audit-event/audit-event.service';

export interface AuditServices {
  audit: AuditEventService;
}

export type AuditLoaders = Record<string, never>;

export type AuditContext = RequestContext<AuditServices, AuditLoaders>;
