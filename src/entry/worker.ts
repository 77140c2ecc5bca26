// The 'nabla/worker' package entry in browsers: serveTrainer serves on the Web Worker's own scope (self).
export * from '../worker/index.js';
