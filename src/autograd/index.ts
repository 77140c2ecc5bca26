// The autograd namespace: grad, backward, custom Functions, gradcheck, grad mode, anomaly mode.
export {
  AnomalyScope,
  detectAnomaly,
  isAnomalyCheckNanEnabled,
  isAnomalyEnabled,
  setDetectAnomaly,
  type AnomalyOptions,
} from './anomaly.js';
export { backward, grad, type BackwardOptions, type GradOptions } from './engine.js';
export { Function, FunctionCtx } from './function.js';
export {
  gradcheck,
  gradgradcheck,
  GradcheckError,
  type GradcheckOptions,
  type GradgradcheckOptions,
} from './gradcheck.js';
export { enableGrad, GradModeScope, isGradEnabled, noGrad, setGradEnabled } from './grad_mode.js';
export { Node, type GradHook, type RemovableHandle } from './node.js';
