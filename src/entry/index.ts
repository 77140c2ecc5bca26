// The 'nabla' package entry in Node: the browser-safe API, with the fastest backend made the default at import.
import { useDefaultBackend } from '../node/default_backend.js';

export * from '../index.js';

await useDefaultBackend();
