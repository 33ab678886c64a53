import { backendContract } from './backend-contract.js';
import { memoryBackend } from './memory-backend.js';

backendContract('memory', () => {
  const backend = memoryBackend({ cold: true });
  return Promise.resolve({ backend, failNextPart: () => backend.failPart(1), close: () => backend.close() });
});
