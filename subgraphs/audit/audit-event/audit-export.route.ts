import { badInput } from '../../kit/errors';
import type { ExportRoute } from '../../kit/http/server';
import { isUuid } from '../../kit/loaders';
import { Session } from '../../kit/session';
import type { AuditEventService } from './audit-event.service';

function dateParam(query: URLSearchParams, name: 'from' | 'to'): Date | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw badInput(`${name} must be an ISO 8601 date-time`, { field: name });
  return date;
}

/** `GET /export/audit?teamId=…&from=…&to=…`: the team's audit log as NDJSON, for its admins. */
export function auditExportRoute(audit: AuditEventService): ExportRoute {
  return async (query, claims) => {
    const teamId = query.get('teamId') ?? '';
    if (!isUuid(teamId)) throw badInput('teamId must be a team id', { field: 'teamId' });
    return audit.exportLines(new Session(claims.principal), teamId, dateParam(query, 'from'), dateParam(query, 'to'));
  };
}
