/** Names of run log files: `run-000042-20261123T023000Z.log`, sortable by run and by time. */

/** The pattern of a run log file name: run ID, then the UTC start time. */
export const LOG_FILE_NAME = /^run-(\d{6,})-(\d{8}T\d{6}Z)\.log$/;

/** The log file name of run `runId` started at `at` (UTC). */
export function logFileName(runId: number, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `run-${String(runId).padStart(6, '0')}-${stamp}.log`;
}
