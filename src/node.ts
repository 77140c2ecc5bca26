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
export {
  DashboardRecorder,
  histogram,
  layerLabel,
  type RecorderOptions,
} from './dashboard/recorder.js';
export { MAX_POINTS, Reservoir, downsample } from './dashboard/downsample.js';
export { DashboardRun, type Point, type RunSnapshot } from './dashboard/run.js';
export type { DashboardEvent, Finding } from './dashboard/events.js';
export { recordRun, type RecordRunOptions, type RunRecording } from './node/dashboard.js';
export { DashboardServer, type DashboardServerOptions } from './node/dashboard_server.js';
export { EVENTS_FILE, EventsFile, EventsReader, eventsFromMetrics } from './node/dashboard_runs.js';
