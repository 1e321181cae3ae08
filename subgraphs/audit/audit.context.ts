import type { RequestContext } from '../kit/subgraph';
import type { AuditEventService } from './audit-event/audit-event.service';
import type { AuditRetentionService } from './audit-event/audit-retention.service';
import type { ApiRequestLogService } from './request-log/request-log.service';

export interface AuditServices {
  audit: AuditEventService;
  retention: AuditRetentionService;
  requestLogs: ApiRequestLogService;
}

export type AuditLoaders = Record<string, never>;

export type AuditContext = RequestContext<AuditServices, AuditLoaders>;
