/** What one run reports for status, email and cost: the catalog fills it in, the report renders it. */

/** One finished (or still running) `backup run`. Times are ISO-8601 UTC; byte counts are bytes, `uploadMs` milliseconds. */
export interface RunSummary {
  id: number;
  startedAt: string;
  endedAt?: string;
  /** An interrupted run is reported as 'failed' with an error saying so. */
  status: 'ok' | 'warnings' | 'failed' | 'running';
  /** 0 for a full archive, n for the nth incremental of its chain; absent when no archive was planned. */
  level?: number;
  filesAdded: number;
  filesChanged: number;
  filesDeleted: number;
  /** Compressed archive size. */
  archiveBytes?: number;
  uploadBytes?: number;
  uploadMs?: number;
  /** Glacier archive ID of the archive this run uploaded. */
  archiveId?: string;
  warnings: string[];
  errors: string[];
  /** The run's log file, attached to the email. */
  logPath?: string;
}
