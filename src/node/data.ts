// The data namespace of the Node entry: the browser-safe pipeline plus the datasets that read files.
export * from '../data/index.js';
export * from '../data/node/index.js';
