/**
 * An UploadJournal held in memory, for uploads that need no crash recovery (tests, one-off
 * tools). Resuming works within the process: pass the same journal to a second uploadArchive.
 */
import type { UploadJournal } from './upload-journal.js';

/** The journal's recorded state. */
export interface JournalState {
  uploadId: string;
  partSize: number;
  parts: Map<number, string>;
  completing: boolean;
}

/** A journal with a peek at its state; `initial` seeds it as if an earlier run had recorded it. */
export function memoryJournal(initial: JournalState | null = null): UploadJournal & { state(): JournalState | null } {
  let s: JournalState | null = initial ? { ...initial, parts: new Map(initial.parts) } : null;
  const copy = (): JournalState | null => (s ? { ...s, parts: new Map(s.parts) } : null);
  return {
    load: copy,
    state: copy,
    begin(uploadId, partSize) {
      s = { uploadId, partSize, parts: new Map(), completing: false };
    },
    partDone(index, treeHash) {
      if (!s) throw new Error('partDone before begin');
      s.parts.set(index, treeHash);
    },
    completing() {
      if (!s) throw new Error('completing before begin');
      s.completing = true;
    },
    reset() {
      s = null;
    },
  };
}
