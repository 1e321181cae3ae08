import { requestColumnsOf, type UsageRecordedPayload } from '../../kit/events';
import type { Tx } from '../../kit/transaction';
import type { ApiRequestLogRepository } from './request-log.repository';

/** API request logs are deleted this long after they were written. */
export const REQUEST_LOG_RETENTION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RequestLogRetentionResult {
  cutoff: Date;
  /** Requests whose logs were deleted. */
  deleted: number;
}

/**
 * The API request log: every billed inference request (request id, team, key, model, token
 * counts, sizes, body digest; the bodies only when `keepBodies`), stored one metering batch per
 * row, deleted 30 days after it was written.
 */
export class ApiRequestLogService {
  constructor(
    private readonly logs: ApiRequestLogRepository,
    private readonly keepBodies: boolean,
    private readonly now: () => Date = () => new Date(),
    // Metering batches (of up to a few hundred requests each) deleted per transaction.
    private readonly batchesPerDelete = 500,
  ) {}

  /** Records one metering batch's requests for a team; a batch recorded before is skipped. Returns how many requests were new. */
  record(tx: Tx, teamId: string, payload: UsageRecordedPayload): Promise<number> {
    const columns = requestColumnsOf(payload);
    return this.logs.insert(tx, teamId, payload.batchId, this.keepBodies ? columns : { ...columns, requestBody: undefined, responseBody: undefined }, this.now());
  }

  /** Deletes every log written more than 30 days ago. Safe to run twice or on two replicas at once. */
  async runRetention(): Promise<RequestLogRetentionResult> {
    const cutoff = new Date(this.now().getTime() - REQUEST_LOG_RETENTION_DAYS * DAY_MS);
    let deleted = 0;
    for (;;) {
      const { batches, requests } = await this.logs.deleteWrittenBefore(cutoff, this.batchesPerDelete);
      deleted += requests;
      if (batches < this.batchesPerDelete) break;
    }
    return { cutoff, deleted };
  }
}
