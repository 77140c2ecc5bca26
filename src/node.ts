// nabla's Node.js entry point: everything in the browser-safe entry, plus files, datasets on disk,
// checkpoints and the fast CPU backends. Import 'nabla/node' in Node programs.
export * from './index.js';
export * as data from './node/data.js';
export { load, loadStateDict, safeOpen, save, saveStateDict, SafetensorsFile } from './node/io.js';
export {
  CHECKPOINT_FORMAT,
  loadCheckpoint,
  saveCheckpoint,
  type Checkpoint,
} from './node/checkpoint.js';
export { loadFastBackends, type FastBackends, type FastBackendsOptions } from './node/backends.js';
export {
  createNativeBackend,
  NATIVE_THRESHOLDS,
  nativeAddonPath,
  nativeFmaPeak,
} from './node/native.js';
export { createNodeWasmBackend } from './node/wasm.js';
// NOTE: shadows the browser loadWebgpuBackend of './index.js' (a local export wins over export *)
export { loadWebgpuBackend, type WebgpuLoadOptions } from './node/webgpu.js';
export { katexCss } from './node/katex.js';
export { saveOnnx, writeOnnxFile } from './node/onnx.js';
export { savePytorch, type SavedPytorch } from './node/pytorch.js';
export { svgToPng, writePlot, writePlotFiles, type PngOptions } from './node/plots.js';
