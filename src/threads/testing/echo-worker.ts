import { parentPort, workerData } from 'node:worker_threads';
import { compareUtf8 } from '../../scan/compare-utf8.js';

parentPort!.postMessage({ got: workerData, order: compareUtf8('a', 'b') });
