/**
 * Walks one tree both ways, in this thread (walkTree) and on a worker (walkTreeInWorker), and
 * prints each walk's findings as one ordered log (JSON, bigints as strings). Run as a script
 * (argv: root, exclude rules as JSON) so a test can run it where permissions apply.
 */
import { excludingOwnDirs } from '../own-dirs-excluder.js';
import { createExcludeMatcher } from '../exclude-matcher.js';
import { walkTree } from '../scan-tree.js';
import { walkTreeInWorker, type ExcludeRules } from '../walk-tree-in-worker.js';

type Log = unknown[];

const [root, rulesJson] = process.argv.slice(2);
const rules = JSON.parse(rulesJson) as ExcludeRules;
const logger = (log: Log) => ({
  onWarning: (w: unknown) => log.push(['warning', w]),
  onProgress: (n: number) => log.push(['progress', n]),
  onEntry: (e: unknown) => log.push(['entry', e]),
  onUnreadable: (p: string) => log.push(['unreadable', p]),
});
const thread: Log = [];
const t = logger(thread);
await walkTree(root, { exclude: excludingOwnDirs(createExcludeMatcher(rules.patterns), rules.own), onWarning: t.onWarning, onProgress: t.onProgress }, t.onEntry, t.onUnreadable);
const worker: Log = [];
const w = logger(worker);
await walkTreeInWorker(root, { exclude: rules, onWarning: w.onWarning, onProgress: w.onProgress }, w.onEntry, w.onUnreadable);
process.stdout.write(JSON.stringify({ thread, worker }, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
