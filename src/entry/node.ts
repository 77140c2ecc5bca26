// The 'nabla/node' package entry: all of src/node.ts, with the fastest backend made the default at import.
import { useDefaultBackend } from '../node/default_backend.js';

export * from '../node.js';

await useDefaultBackend();
