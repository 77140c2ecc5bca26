// Options objects: every options-taking public entry point rejects an unknown key (issue 13, defect 1).
import { describe, expect, it } from 'vitest';
import type { Explanation } from '../../src/node.js';
import {
  DashboardRecorder,
  GradientHealthMonitor,
  NablaError,
  OptionError,
  ShapeError,
  Trainer,
  arange,
  autograd,
  buildOnnxModel,
  clamp,
  createNativeBackend,
  data,
  evaluate,
  explain,
  exportOnnx,
  eye,
  full,
  fullLike,
  io,
  linspace,
  load,
  loadFastBackends,
  loadStateDict,
  lrFind,
  mean,
  nn,
  ones,
  onesLike,
  optim,
  pad,
  plots,
  rand,
  randint,
  randintLike,
  randLike,
  randn,
  randnLike,
  randperm,
  recordGraph,
  recordRun,
  save,
  saveOnnx,
  saveStateDict,
  std,
  sum,
  svgToPng,
  tensor,
  toDot,
  toSvg,
  var as variance,
  writePlot,
  writePlotFiles,
  zeros,
  zerosLike,
  type Tensor,
} from '../../src/node.js';
import * as nabla from '../../src/node.js';
import { loadWebgpuBackend as browserLoadWebgpuBackend } from '../../src/index.js';
import { nearestKey, optionSchemas } from '../../src/options.js';
import { TrainerWorker, serveTrainer } from '../../src/worker/index.js';

const F = nn.functional;
const { lrScheduler: S } = optim;
const BOGUS = '__bogus_option__';
type O = never;

const x = (): Tensor =>
  tensor([
    [0.1, 0.9, -0.5],
    [0.5, 1.5, 2.0],
  ]);
const img = (): Tensor => nabla.randn([1, 1, 4, 4]);
const vol = (): Tensor => nabla.randn([1, 1, 4, 4, 4]);
const params = (): Tensor[] => [nn.Parameter(tensor([1.0, 2.0]))];
const sgd = () => new optim.SGD(params(), { lr: 0.1 });
const net = () => new nn.Sequential(new nn.Linear(3, 2));
const lossOf = () => {
  const w = tensor([1.0, 2.0], { requiresGrad: true });
  return w.mul(w).sum();
};
const explanation = (): Explanation => explain(lossOf());
const samples = () => [[tensor([[0.1, 0.2, 0.3]]), tensor([1], { dtype: 'int32' })]] as const;
const trainer = () => new Trainer({ model: net(), optimizer: sgd(), train: samples(), epochs: 1 });
const lrCurve = { lrs: [1e-3, 1e-2], losses: [1, 0.5] };
const gradSource = { layers: [], records: [] };

/**
 * The public entry points that take an options object, by the name their schema is registered
 * under; each call passes `o` where the options go. Hand-listed, so that an entry point whose
 * schema is removed (or never written) fails here rather than passing silently.
 */
const INVENTORY: Record<string, readonly ((o: O) => unknown)[]> = {
  // tensor functions and methods
  sum: [(o) => sum(x(), o), (o) => x().sum(o)],
  mean: [(o) => mean(x(), o), (o) => x().mean(o)],
  prod: [(o) => nabla.prod(x(), o), (o) => x().prod(o)],
  amax: [(o) => nabla.amax(x(), o), (o) => x().amax(o)],
  amin: [(o) => nabla.amin(x(), o), (o) => x().amin(o)],
  all: [(o) => nabla.all(x().gt(0), o), (o) => x().gt(0).all(o)],
  any: [(o) => nabla.any(x().gt(0), o), (o) => x().gt(0).any(o)],
  var: [(o) => variance(x(), o), (o) => x().var(o), (o) => x().var(1, o)],
  std: [(o) => std(x(), o), (o) => x().std(o)],
  add: [(o) => nabla.add(x(), 1, o), (o) => x().add(1, o), (o) => x().add_(1, o)],
  sub: [(o) => nabla.sub(x(), 1, o), (o) => x().sub(1, o), (o) => x().sub_(1, o)],
  clamp: [(o) => clamp(x(), o), (o) => x().clamp(o), (o) => x().clip(o), (o) => x().clamp_(o)],
  addcmul_: [(o) => x().addcmul_(x(), x(), o)],
  addcdiv_: [(o) => x().addcdiv_(x(), x(), o)],
  uniform_: [(o) => x().uniform_(0, 1, o), (o) => x().uniform_(o)],
  normal_: [(o) => x().normal_(0, 1, o), (o) => x().normal_(o)],
  argmax: [(o) => nabla.argmax(x(), o), (o) => x().argmax(o)],
  argmin: [(o) => nabla.argmin(x(), o), (o) => x().argmin(o)],
  max: [(o) => x().max(o)],
  min: [(o) => x().min(o)],
  logsumexp: [(o) => nabla.logsumexp(x(), o), (o) => x().logsumexp(o)],
  cumsum: [(o) => nabla.cumsum(x(), o), (o) => x().cumsum(o), (o) => x().cumsum(1, o)],
  cumprod: [(o) => nabla.cumprod(x(), o), (o) => x().cumprod(o), (o) => x().cumprod(1, o)],
  softmax: [
    (o) => nabla.softmax(x(), o),
    (o) => x().softmax(o),
    (o) => F.softmax(x(), o),
    (o) => x().softmax(1, o),
  ],
  logSoftmax: [
    (o) => nabla.logSoftmax(x(), o),
    (o) => x().logSoftmax(o),
    (o) => F.logSoftmax(x(), o),
    (o) => F.logSoftmax(x(), 0, o),
  ],
  repeatInterleave: [
    (o) => nabla.repeatInterleave(x(), 2, 0, o),
    (o) => x().repeatInterleave(2, o),
    (o) => nabla.repeatInterleave(tensor([1, 2], { dtype: 'int32' }), o),
  ],
  varMean: [(o) => nabla.varMean(x(), o), (o) => nabla.varMean(x(), 1, o)],
  stdMean: [(o) => nabla.stdMean(x(), o)],
  div: [(o) => nabla.div(x(), 2, o), (o) => x().div(2, o)],
  isclose: [(o) => nabla.isclose(x(), x(), o), (o) => x().isclose(x(), o)],
  allclose: [(o) => nabla.allclose(x(), x(), o), (o) => x().allclose(x(), o)],
  meshgrid: [(o) => nabla.meshgrid(tensor([1, 2]), tensor([3]), o)],
  sort: [(o) => nabla.sort(x(), o), (o) => x().sort(o)],
  argsort: [(o) => nabla.argsort(x(), o), (o) => x().argsort(o)],
  topk: [(o) => nabla.topk(x(), 1, o), (o) => x().topk(1, o)],
  unique: [(o) => nabla.unique(x(), o), (o) => x().unique(o)],
  scatterReduce: [
    (o) => {
      const i = tensor([[0, 1, 0]], { dtype: 'int32' });
      return nabla.scatterReduce(x(), 0, i, x().narrow(0, 0, 1), 'sum', o);
    },
  ],
  flatten: [(o) => nabla.flatten(x(), o), (o) => x().flatten(o)],
  squeeze: [(o) => nabla.squeeze(x(), o), (o) => x().squeeze(o)],
  unsqueeze: [(o) => nabla.unsqueeze(x(), o), (o) => x().unsqueeze(o)],
  cat: [(o) => nabla.cat([x(), x()], o)],
  stack: [(o) => nabla.stack([x(), x()], o)],
  split: [(o) => nabla.split(x(), 1, o), (o) => x().split(1, o)],
  chunk: [(o) => nabla.chunk(x(), 2, o), (o) => x().chunk(2, o)],
  norm: [(o) => nabla.norm(x(), o), (o) => x().norm(o)],
  pad: [(o) => pad(x(), [1, 1], o), (o) => F.pad(x(), [1, 1], o)],
  'Tensor.backward': [(o) => lossOf().backward(null, o), (o) => lossOf().backward(o)],
  'autograd.grad': [
    (o) => {
      const w = tensor([1.0], { requiresGrad: true });
      return autograd.grad(w.mul(2).sum(), w, o);
    },
  ],
  'autograd.gradcheck': [(o) => autograd.gradcheck((a) => a.mul(2), [tensor([1.0])], o)],
  'autograd.gradgradcheck': [(o) => autograd.gradgradcheck((a) => a.mul(2), [tensor([1.0])], o)],
  'autograd.setDetectAnomaly': [(o) => autograd.setDetectAnomaly(false, o)],
  'autograd.detectAnomaly': [
    (o) => autograd.detectAnomaly(o),
    (o) => autograd.detectAnomaly(() => 1, o),
  ],
  // creation
  tensor: [(o) => tensor([1, 2], o)],
  full: [(o) => full([2], 1, o)],
  zeros: [(o) => zeros([2], o), (o) => zeros(2, 3, o), (o) => nabla.empty([2], o)],
  ones: [(o) => ones([2], o)],
  zerosLike: [(o) => zerosLike(x(), o), (o) => nabla.emptyLike(x(), o)],
  onesLike: [(o) => onesLike(x(), o)],
  fullLike: [(o) => fullLike(x(), 1, o)],
  arange: [(o) => arange(3, o), (o) => arange(0, 3, 1, o)],
  linspace: [(o) => linspace(0, 1, 3, o)],
  eye: [(o) => eye(2, o), (o) => eye(2, 3, o)],
  rand: [(o) => rand([2], o)],
  randn: [(o) => randn([2], o)],
  randint: [(o) => randint(0, 5, [2], o), (o) => randint(5, [2], o)],
  randperm: [(o) => randperm(3, o)],
  randLike: [(o) => randLike(x(), o)],
  randnLike: [(o) => randnLike(x(), o)],
  randintLike: [(o) => randintLike(x(), 5, o), (o) => randintLike(x(), 0, 5, o)],
  // nn.Module methods
  'Module.registerBuffer': [(o) => net().registerBuffer('b', null, o)],
  'Module.namedParameters': [(o) => net().namedParameters(o)],
  'Module.parameters': [(o) => net().parameters(o)],
  'Module.namedBuffers': [(o) => net().namedBuffers(o)],
  'Module.buffers': [(o) => net().buffers(o)],
  'Module.countParameters': [(o) => net().countParameters(o)],
  'Module.zeroGrad': [(o) => net().zeroGrad(o)],
  'Module.stateDict': [(o) => net().stateDict(o)],
  'Module.train': [(o) => net().train(o)],
  'Module.requiresGrad_': [(o) => net().requiresGrad_(o)],
  'Tensor.requiresGrad_': [(o) => x().requiresGrad_(o)],
  'Module.loadStateDict': [(o) => net().loadStateDict(net().stateDict(), o)],
  // nn layers
  'nn.Linear': [(o) => new nn.Linear(2, 3, o)],
  'nn.LeakyReLU': [(o) => new nn.LeakyReLU(o)],
  'nn.PReLU': [(o) => new nn.PReLU(o)],
  'nn.ELU': [(o) => new nn.ELU(o)],
  'nn.GELU': [(o) => new nn.GELU(o)],
  'nn.Hardtanh': [(o) => new nn.Hardtanh(o)],
  'nn.Softplus': [(o) => new nn.Softplus(o)],
  'nn.Softmax': [(o) => new nn.Softmax(o)],
  'nn.LogSoftmax': [(o) => new nn.LogSoftmax(o)],
  'nn.CELU': [(o) => new nn.CELU(o)],
  'nn.Softmin': [(o) => new nn.Softmin(o)],
  'nn.MaxUnpool2d': [(o) => new nn.MaxUnpool2d(2, o)],
  'nn.Dropout': [(o) => new nn.Dropout(o)],
  'nn.Flatten': [(o) => new nn.Flatten(o)],
  'nn.Conv1d': [(o) => new nn.Conv1d(1, 2, 3, o)],
  'nn.Conv2d': [(o) => new nn.Conv2d(1, 2, 3, o)],
  'nn.Conv3d': [(o) => new nn.Conv3d(1, 2, 3, o)],
  'nn.ConvTranspose1d': [(o) => new nn.ConvTranspose1d(1, 2, 3, o)],
  'nn.ConvTranspose2d': [(o) => new nn.ConvTranspose2d(1, 2, 3, o)],
  'nn.ConvTranspose3d': [(o) => new nn.ConvTranspose3d(1, 2, 3, o)],
  'nn.MaxPool1d': [(o) => new nn.MaxPool1d(2, o)],
  'nn.MaxPool2d': [(o) => new nn.MaxPool2d(2, o)],
  'nn.MaxPool3d': [(o) => new nn.MaxPool3d(2, o)],
  'nn.AvgPool1d': [(o) => new nn.AvgPool1d(2, o)],
  'nn.AvgPool2d': [(o) => new nn.AvgPool2d(2, o)],
  'nn.AvgPool3d': [(o) => new nn.AvgPool3d(2, o)],
  'nn.BatchNorm1d': [(o) => new nn.BatchNorm1d(3, o)],
  'nn.BatchNorm2d': [(o) => new nn.BatchNorm2d(3, o)],
  'nn.BatchNorm3d': [(o) => new nn.BatchNorm3d(3, o)],
  'nn.LayerNorm': [(o) => new nn.LayerNorm(3, o)],
  'nn.GroupNorm': [(o) => new nn.GroupNorm(1, 3, o)],
  'nn.Embedding': [(o) => new nn.Embedding(4, 2, o)],
  'nn.Embedding.fromPretrained': [(o) => nn.Embedding.fromPretrained(x(), o)],
  'nn.RNN': [(o) => new nn.RNN(2, 3, o)],
  'nn.GRU': [(o) => new nn.GRU(2, 3, o)],
  'nn.LSTM': [(o) => new nn.LSTM(2, 3, o)],
  'nn.RNNCell': [(o) => new nn.RNNCell(2, 3, o)],
  'nn.LSTMCell': [(o) => new nn.LSTMCell(2, 3, o)],
  'nn.GRUCell': [(o) => new nn.GRUCell(2, 3, o)],
  'nn.MultiheadAttention': [(o) => new nn.MultiheadAttention(4, 2, o)],
  'nn.TransformerEncoderLayer': [(o) => new nn.TransformerEncoderLayer(4, 2, o)],
  'nn.TransformerEncoderLayer.forward': [
    (o) => new nn.TransformerEncoderLayer(4, 2).forward(nabla.randn([2, 1, 4]), o),
  ],
  'nn.TransformerEncoder': [
    (o) => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2), 1, o),
  ],
  'nn.TransformerEncoder.forward': [
    (o) =>
      new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2), 1).forward(
        nabla.randn([2, 1, 4]),
        o,
      ),
  ],
  'nn.Upsample': [(o) => new nn.Upsample(o)],
  'nn.UpsamplingNearest2d': [(o) => new nn.UpsamplingNearest2d(o)],
  'nn.UpsamplingBilinear2d': [(o) => new nn.UpsamplingBilinear2d(o)],
  'nn.MSELoss': [(o) => new nn.MSELoss(o)],
  'nn.L1Loss': [(o) => new nn.L1Loss(o)],
  'nn.SmoothL1Loss': [(o) => new nn.SmoothL1Loss(o)],
  'nn.HuberLoss': [(o) => new nn.HuberLoss(o)],
  'nn.NLLLoss': [(o) => new nn.NLLLoss(o)],
  'nn.CrossEntropyLoss': [(o) => new nn.CrossEntropyLoss(o)],
  'nn.BCELoss': [(o) => new nn.BCELoss(o)],
  'nn.BCEWithLogitsLoss': [(o) => new nn.BCEWithLogitsLoss(o)],
  'nn.KLDivLoss': [(o) => new nn.KLDivLoss(o)],
  'nn.init.uniform_': [(o) => nn.init.uniform_(x(), 0, 1, o), (o) => nn.init.uniform_(x(), o)],
  'nn.init.normal_': [(o) => nn.init.normal_(x(), 0, 1, o), (o) => nn.init.normal_(x(), o)],
  'nn.init.constant_': [(o) => nn.init.constant_(x(), o)],
  'nn.init.xavierUniform_': [(o) => nn.init.xavierUniform_(x(), o)],
  'nn.init.xavierNormal_': [(o) => nn.init.xavierNormal_(x(), o)],
  'nn.init.orthogonal_': [(o) => nn.init.orthogonal_(x(), o)],
  'nn.init.kaimingUniform_': [(o) => nn.init.kaimingUniform_(x(), o)],
  'nn.init.kaimingNormal_': [(o) => nn.init.kaimingNormal_(x(), o)],
  'nn.init.truncNormal_': [(o) => nn.init.truncNormal_(x(), o)],
  'nn.utils.clipGradNorm_': [
    (o) => nn.clipGradNorm_(params(), 1, o),
    (o) => nn.utils.clipGradNorm_(params(), 1, o),
  ],
  // nn.functional
  'nn.utils.clipGradValue_': [(o) => nn.clipGradValue_(params(), o)],
  'nn.functional.gelu': [(o) => F.gelu(x(), o)],
  'nn.functional.softplus': [(o) => F.softplus(x(), o)],
  'nn.functional.leakyRelu': [(o) => F.leakyRelu(x(), o)],
  'nn.functional.elu': [(o) => F.elu(x(), o)],
  'nn.functional.hardtanh': [(o) => F.hardtanh(x(), o)],
  'nn.functional.dropout': [(o) => F.dropout(x(), o)],
  'nn.functional.mseLoss': [(o) => F.mseLoss(x(), x(), o)],
  'nn.functional.l1Loss': [(o) => F.l1Loss(x(), x(), o)],
  'nn.functional.smoothL1Loss': [(o) => F.smoothL1Loss(x(), x(), o)],
  'nn.functional.huberLoss': [(o) => F.huberLoss(x(), x(), o)],
  'nn.functional.nllLoss': [(o) => F.nllLoss(x(), tensor([0, 1], { dtype: 'int32' }), o)],
  'nn.functional.crossEntropy': [(o) => F.crossEntropy(x(), tensor([0, 1], { dtype: 'int32' }), o)],
  'nn.functional.binaryCrossEntropy': [
    (o) => F.binaryCrossEntropy(x().sigmoid(), x().sigmoid(), o),
  ],
  'nn.functional.binaryCrossEntropyWithLogits': [
    (o) => F.binaryCrossEntropyWithLogits(x(), x().sigmoid(), o),
  ],
  'nn.functional.klDiv': [(o) => F.klDiv(x(), x(), o)],
  'nn.functional.batchNorm': [(o) => F.batchNorm(x(), null, null, o)],
  'nn.functional.layerNorm': [(o) => F.layerNorm(x(), [3], o)],
  'nn.functional.groupNorm': [(o) => F.groupNorm(img(), 1, o)],
  'nn.functional.embedding': [(o) => F.embedding(tensor([0], { dtype: 'int32' }), x(), o)],
  'nn.functional.multiHeadAttentionForward': [
    (o) => {
      const q = nabla.randn([2, 1, 4]);
      return new nn.MultiheadAttention(4, 2).forward(q, q, q, o);
    },
  ],
  'nn.functional.unfold': [(o) => F.unfold(img(), 2, o)],
  'nn.functional.fold': [(o) => F.fold(nabla.randn([1, 4, 9]), 4, 2, o)],
  'nn.functional.conv1d': [
    (o) => F.conv1d(nabla.randn([1, 1, 5]), nabla.randn([1, 1, 3]), null, o),
  ],
  'nn.functional.conv2d': [(o) => F.conv2d(img(), nabla.randn([1, 1, 3, 3]), null, o)],
  'nn.functional.conv3d': [(o) => F.conv3d(vol(), nabla.randn([1, 1, 3, 3, 3]), null, o)],
  'nn.functional.convTranspose1d': [
    (o) => F.convTranspose1d(nabla.randn([1, 1, 5]), nabla.randn([1, 1, 3]), null, o),
  ],
  'nn.functional.convTranspose2d': [
    (o) => F.convTranspose2d(img(), nabla.randn([1, 1, 3, 3]), null, o),
  ],
  'nn.functional.convTranspose3d': [
    (o) => F.convTranspose3d(vol(), nabla.randn([1, 1, 3, 3, 3]), null, o),
  ],
  'nn.functional.maxPool1d': [(o) => F.maxPool1d(nabla.randn([1, 1, 4]), 2, o)],
  'nn.functional.maxPool2d': [(o) => F.maxPool2d(img(), 2, o)],
  'nn.functional.maxPool3d': [(o) => F.maxPool3d(vol(), 2, o)],
  'nn.functional.maxUnpool2d': [
    (o) => {
      const [y, i] = F.maxPool2d(img(), 2, { returnIndices: true });
      return F.maxUnpool2d(y, i, 2, o);
    },
  ],
  'nn.functional.normalize': [(o) => F.normalize(x(), o)],
  'nn.functional.softmin': [(o) => F.softmin(x(), o), (o) => F.softmin(x(), 1, o)],
  'nn.functional.scaledDotProductAttention': [(o) => F.scaledDotProductAttention(x(), x(), x(), o)],
  'nn.functional.avgPool1d': [(o) => F.avgPool1d(nabla.randn([1, 1, 4]), 2, o)],
  'nn.functional.avgPool2d': [(o) => F.avgPool2d(img(), 2, o)],
  'nn.functional.avgPool3d': [(o) => F.avgPool3d(vol(), 2, o)],
  'nn.functional.interpolate': [(o) => F.interpolate(img(), o), (o) => F.upsample(img(), o)],
  'nn.functional.upsampleNearest': [(o) => F.upsampleNearest(img(), o)],
  'nn.functional.upsampleBilinear': [(o) => F.upsampleBilinear(img(), o)],
  // optim
  'Optimizer.zeroGrad': [(o) => sgd().zeroGrad(o)],
  'optim.SGD': [
    (o) => new optim.SGD(params(), o),
    (o) => sgd().addParamGroup({ params: params(), ...(o as object) }),
  ],
  'optim.Adam': [
    (o) => new optim.Adam(params(), o),
    (o) => new optim.Adam([{ params: params(), ...(o as object) }]),
  ],
  'optim.AdamW': [(o) => new optim.AdamW(params(), o)],
  'optim.RMSprop': [(o) => new optim.RMSprop(params(), o)],
  'optim.Adagrad': [(o) => new optim.Adagrad(params(), o)],
  'optim.NAdam': [(o) => new optim.NAdam(params(), o)],
  'optim.RAdam': [(o) => new optim.RAdam(params(), o)],
  'optim.Adamax': [(o) => new optim.Adamax(params(), o)],
  'optim.Adadelta': [(o) => new optim.Adadelta(params(), o)],
  'optim.Rprop': [(o) => new optim.Rprop(params(), o)],
  'optim.ASGD': [(o) => new optim.ASGD(params(), o)],
  'optim.LBFGS': [(o) => new optim.LBFGS(params(), o)],
  'optim.lrScheduler.LambdaLR': [
    (o) => new S.LambdaLR(sgd(), { lrLambda: () => 1, ...(o as object) }),
  ],
  'optim.lrScheduler.MultiplicativeLR': [
    (o) => new S.MultiplicativeLR(sgd(), { lrLambda: () => 1, ...(o as object) }),
  ],
  'optim.lrScheduler.StepLR': [(o) => new S.StepLR(sgd(), { stepSize: 1, ...(o as object) })],
  'optim.lrScheduler.MultiStepLR': [
    (o) => new S.MultiStepLR(sgd(), { milestones: [1], ...(o as object) }),
  ],
  'optim.lrScheduler.ConstantLR': [(o) => new S.ConstantLR(sgd(), o)],
  'optim.lrScheduler.LinearLR': [(o) => new S.LinearLR(sgd(), o)],
  'optim.lrScheduler.ExponentialLR': [
    (o) => new S.ExponentialLR(sgd(), { gamma: 0.9, ...(o as object) }),
  ],
  'optim.lrScheduler.PolynomialLR': [(o) => new S.PolynomialLR(sgd(), o)],
  'optim.lrScheduler.CosineAnnealingLR': [
    (o) => new S.CosineAnnealingLR(sgd(), { tMax: 2, ...(o as object) }),
  ],
  'optim.lrScheduler.CosineAnnealingWarmRestarts': [
    (o) => new S.CosineAnnealingWarmRestarts(sgd(), { t0: 2, ...(o as object) }),
  ],
  'optim.lrScheduler.CyclicLR': [
    (o) => new S.CyclicLR(sgd(), { baseLr: 0.1, maxLr: 1, ...(o as object) }),
  ],
  'optim.lrScheduler.OneCycleLR': [
    (o) => new S.OneCycleLR(sgd(), { maxLr: 1, totalSteps: 4, ...(o as object) }),
  ],
  'optim.lrScheduler.SequentialLR': [
    (o) => {
      const opt = sgd();
      const a = new S.ConstantLR(opt);
      return new S.SequentialLR(opt, { schedulers: [a], milestones: [], ...(o as object) });
    },
  ],
  'optim.lrScheduler.ReduceLROnPlateau': [(o) => new S.ReduceLROnPlateau(sgd(), o)],
  // data
  'data.DataLoader': [(o) => new data.DataLoader(samples(), o)],
  'data.RandomSampler': [(o) => new data.RandomSampler([1, 2], o)],
  'data.SubsetRandomSampler': [(o) => new data.SubsetRandomSampler([0, 1], o)],
  'data.WeightedRandomSampler': [(o) => new data.WeightedRandomSampler([1, 1], 2, o)],
  'data.randomSplit': [(o) => data.randomSplit([1, 2], [1, 1], o)],
  'data.transforms.randomHorizontalFlip': [(o) => data.transforms.randomHorizontalFlip(0.5, o)],
  'data.transforms.randomCrop': [(o) => data.transforms.randomCrop(2, o)],
  'data.parseCsv': [(o) => data.parseCsv('a\n1', o)],
  'data.csvDataset': [(o) => data.csvDataset('a,b\n1,2', o)],
  'data.loadCsv': [(o) => data.loadCsv('/nonexistent.csv', o)],
  'data.Digits': [(o) => new data.Digits(o)],
  'data.MNIST': [(o) => new data.MNIST(o), (o) => data.MNIST.load(o)],
  'data.FashionMNIST': [(o) => new data.FashionMNIST(o), (o) => data.FashionMNIST.load(o)],
  // training and diagnostics
  Trainer: [
    (o) => new Trainer({ model: net(), optimizer: sgd(), train: [], epochs: 1, ...(o as object) }),
  ],
  'Trainer.fit': [
    (o) => new Trainer({ model: net(), optimizer: sgd(), train: samples(), epochs: 1 }).fit(o),
  ],
  evaluate: [(o) => evaluate(net(), [], o)],
  explain: [(o) => explain(lossOf(), o)],
  'Explanation.toMarkdown': [(o) => explanation().toMarkdown(o)],
  'Explanation.toHtml': [(o) => explanation().toHtml(o)],
  toDot: [(o) => toDot(lossOf(), o)],
  toSvg: [(o) => toSvg(lossOf(), o)],
  recordGraph: [(o) => recordGraph(() => 1, o)],
  GradientHealthMonitor: [(o) => new GradientHealthMonitor(net(), undefined, o)],
  DashboardRecorder: [(o) => new DashboardRecorder(trainer(), () => undefined, o)],
  recordRun: [(o) => recordRun(trainer(), o)],
  lrFind: [(o) => lrFind(net(), sgd(), [], () => lossOf(), o)],
  'plots.trainingCurvesSpec': [(o) => plots.trainingCurvesSpec([], o)],
  'plots.stepLossSpec': [(o) => plots.stepLossSpec([1, 2], o)],
  'plots.lrFinderSpec': [(o) => plots.lrFinderSpec(lrCurve, o)],
  'plots.gradNormSpec': [(o) => plots.gradNormSpec(gradSource, o)],
  // files, export, backends
  'io.serialize': [(o) => io.serialize({ a: x() }, o)],
  'io.serializeAsync': [(o) => io.serializeAsync({ a: x() }, o)],
  'io.planSerialize': [(o) => io.planSerialize({ a: x() }, o)],
  'io.decodeTensor': [(o) => io.decodeTensor('a', {} as never, new Uint8Array(), o)],
  'io.deserialize': [(o) => io.deserialize(io.serialize({ a: x() }), o)],
  'SafetensorsSource.getTensor': [
    (o) => new io.SafetensorsReader(io.serialize({ a: x() })).getTensor('a', o),
  ],
  'SafetensorsSource.readAll': [
    (o) => new io.SafetensorsReader(io.serialize({ a: x() })).readAll(o),
  ],
  pytorchSource: [(o) => nabla.pytorchSource(net(), o)],
  savePytorch: [(o) => nabla.savePytorch(net(), '/nonexistent/m', o)],
  buildOnnxModel: [(o) => buildOnnxModel(net(), nabla.randn([2, 3]), o)],
  exportOnnx: [(o) => exportOnnx(net(), nabla.randn([2, 3]), o)],
  saveOnnx: [(o) => saveOnnx(net(), nabla.randn([2, 3]), '/nonexistent/m.onnx', o)],
  save: [(o) => save({ a: x() }, '/nonexistent/a.safetensors', o)],
  saveStateDict: [(o) => saveStateDict(net(), '/nonexistent/a.safetensors', o)],
  load: [(o) => load('/nonexistent/a.safetensors', o)],
  loadStateDict: [(o) => loadStateDict(net(), '/nonexistent/a.safetensors', o)],
  svgToPng: [(o) => svgToPng('<svg/>', o)],
  writePlot: [(o) => writePlot('/nonexistent/p.png', '<svg/>', o)],
  writePlotFiles: [(o) => writePlotFiles('/nonexistent', 'p', '<svg/>', o)],
  loadFastBackends: [(o) => loadFastBackends(o)],
  createWasmBackend: [(o) => nabla.createWasmBackend({} as never, o)],
  loadWasmBackend: [(o) => nabla.loadWasmBackend(undefined, o)],
  createNodeWasmBackend: [(o) => nabla.createNodeWasmBackend(o)],
  loadWebgpuBackend: [(o) => browserLoadWebgpuBackend(o)],
  'node.loadWebgpuBackend': [(o) => nabla.loadWebgpuBackend(o)],
  'data.downloadFile': [(o) => data.downloadFile([], 'f', '/nonexistent', undefined, o)],
  createNativeBackend: [(o) => createNativeBackend(o)],
  // nabla/worker
  serveTrainer: [(o) => serveTrainer(() => ({}) as never, o)],
  'TrainerWorker.fit': [(o) => new TrainerWorker({ postMessage() {}, on() {}, off() {} }).fit(o)],
};

/** Runs a call (awaiting a promise it returns) and gives back what it threw, or null. */
async function thrown(f: () => unknown): Promise<unknown> {
  try {
    await f();
    return null;
  } catch (e) {
    return e;
  }
}

describe('every options-taking public entry point rejects an unknown key', () => {
  it('the inventory and the schema registry list the same entry points', () => {
    const registered = [...optionSchemas.keys()].sort();
    const listed = Object.keys(INVENTORY).sort();
    expect(listed.filter((n) => !optionSchemas.has(n))).toEqual([]);
    expect(registered.filter((n) => !(n in INVENTORY))).toEqual([]);
  });

  for (const [name, calls] of Object.entries(INVENTORY)) {
    it(name, async () => {
      for (const call of calls) {
        const e = await thrown(() => call({ [BOGUS]: 1 } as O));
        expect(e, `${name}: ${call.toString()}`).toBeInstanceOf(OptionError);
        const message = (e as Error).message;
        expect(message).toContain(`${name}(): unknown option '${BOGUS}'`);
        for (const key of optionSchemas.get(name)!.keys) expect(message).toContain(`'${key}'`);
      }
    });
  }
});

describe('the defects of issue 13 (defect 1)', () => {
  const t = () =>
    tensor([
      [0.1, 0.9],
      [0.5, 1.5],
    ]);

  it('clamp takes { min, max } as PyTorch takes the keywords', () => {
    expect(t().clamp({ max: 0.7 }).tolist()).toEqual(t().clamp(null, 0.7).tolist());
    expect(t().clamp({ min: 0.5 }).tolist()).toEqual(t().clamp(0.5).tolist());
    expect(clamp(t(), { min: 0.2, max: 0.7 }).tolist()).toEqual(t().clamp(0.2, 0.7).tolist());
    const y = t();
    y.clamp_({ max: 0.7 });
    expect(y.tolist()).toEqual(t().clamp(null, 0.7).tolist());
    expect(() => t().clamp({ maximum: 0.7 } as O)).toThrow("did you mean 'max'?");
    expect(() => t().clamp('0.7' as O)).toThrow(OptionError);
    expect(() => t().clamp({ max: 0.7 }, 1 as O)).toThrow(OptionError);
  });

  it('sum({ dims }) and { keepDim } throw instead of reducing everything', () => {
    expect(() => t().sum({ dims: 1 } as O)).toThrow(
      "sum(): unknown option 'dims'; did you mean 'dim'?",
    );
    expect(() => t().sum({ dim: 1, keepDim: true } as O)).toThrow("did you mean 'keepdim'?");
    expect(() => t().mean({ dim: '1' } as O)).toThrow(OptionError);
    expect(() => t().sum(1, 'yes' as O)).toThrow("sum(): argument 'keepdim' must be a boolean");
    expect(t().sum({ dim: 1, keepdim: true }).shape).toEqual([2, 1]);
  });

  it('{ requiresgrad } throws instead of making a tensor that needs no gradient', () => {
    expect(() => tensor([1], { requiresgrad: true } as O)).toThrow("did you mean 'requiresGrad'?");
    expect(() => zeros([1], { requiresgrad: true } as O)).toThrow(OptionError);
    expect(() => zeros([1], { dtype: 'float16' } as O)).toThrow("option 'dtype' must be one of");
    expect(tensor([1], { requiresGrad: true }).requiresGrad).toBe(true);
  });

  it("optimizers take PyTorch's positional lr, and snake_case options throw", () => {
    expect(new optim.Adam(params(), 0.01).paramGroups[0]!.lr).toBe(0.01);
    expect(new optim.SGD(params(), 0.5).paramGroups[0]!.lr).toBe(0.5);
    expect(new optim.AdamW(params(), 0.02).paramGroups[0]!.weightDecay).toBe(0.01);
    expect(() => new optim.Adam(params(), { weight_decay: 0.1 } as O)).toThrow(
      "optim.Adam(): unknown option 'weight_decay'; did you mean 'weightDecay'?",
    );
    expect(() => new optim.Adam([{ params: params(), weight_decay: 0.1 } as O])).toThrow(
      OptionError,
    );
    expect(() => new optim.Adam(params(), { lr: '0.1' } as O)).toThrow(OptionError);
    expect(() => new optim.Adam(params(), '0.1' as O)).toThrow(OptionError);
    expect(new optim.Adam(params(), { weightDecay: 0.1 }).paramGroups[0]!.weightDecay).toBe(0.1);
  });

  it('Linear(in, out, false) has no bias; a bias of the wrong type throws', () => {
    expect(new nn.Linear(2, 3, false).bias).toBeNull();
    expect(new nn.Linear(2, 3, true).bias).not.toBeNull();
    expect(() => new nn.Linear(2, 3, 'no' as O)).toThrow(OptionError);
  });

  it("other PyTorch positionals are taken: pools' stride, DataLoader's batchSize, strict, recurse", () => {
    expect(new nn.MaxPool2d(2, 1).stride).toBe(1);
    expect(new nn.AvgPool2d(2, 1).stride).toBe(1);
    expect(new nn.MaxPool3d(2, 1).stride).toBe(1);
    expect(new nn.AvgPool3d(2, 1).stride).toBe(1);
    expect(new data.DataLoader([1, 2, 3, 4], 2).batchSize).toBe(2);
    const a = new nn.Linear(2, 2);
    expect(() => a.loadStateDict({}, false)).not.toThrow();
    expect(() => a.loadStateDict({})).toThrow();
    expect(net().parameters(false)).toEqual([]);
    expect(new nn.Conv2d(1, 2, 3, 2, 1).stride).toEqual([2, 2]);
    expect(new nn.Conv2d(1, 2, 3, 1, 0, 1, 1, false).bias).toBeNull();
    expect(() => new nn.Conv2d(1, 2, 3, '1' as O)).toThrow(OptionError);
    expect(new nn.Conv3d(1, 2, 3, 2, 1).padding).toEqual([1, 1, 1]);
    expect(new nn.Conv3d(1, 2, 3, 1, 0, 1, 1, false).bias).toBeNull();
    expect(new nn.BatchNorm1d(3, 1e-3, 0.2).momentum).toBe(0.2);
    expect(new nn.LayerNorm(3, 1e-3, false).elementwiseAffine).toBe(false);
    expect(new nn.Embedding(4, 2, 0).paddingIdx).toBe(0);
    expect(new S.StepLR(sgd(), 30, 0.5).gamma).toBe(0.5);
    expect(new S.ExponentialLR(sgd(), 0.9).gamma).toBe(0.9);
    expect(new S.CosineAnnealingLR(sgd(), 10, 0.01).etaMin).toBe(0.01);
    expect(new S.MultiStepLR(sgd(), [2, 4], 0.5).gamma).toBe(0.5);
    expect(() => new S.StepLR(sgd(), '30' as O)).toThrow(OptionError);
    expect(new S.LinearLR(sgd(), 0.5, 1, 4).totalIters).toBe(4);
    expect(new S.ReduceLROnPlateau(sgd(), 'max', 0.5).factor).toBe(0.5);
    expect(new S.OneCycleLR(sgd(), 1, 10).totalSteps).toBe(10);
    expect(() => new S.LinearLR(sgd(), '0.5' as O)).toThrow(OptionError);
    expect(new nn.LSTM(2, 3, 2, true, true).numLayers).toBe(2);
    expect(new nn.LSTM(2, 3, 2, true, true).batchFirst).toBe(true);
    expect(new nn.RNN(2, 3, 1, 'relu').nonlinearity).toBe('relu');
    expect(new nn.GRUCell(2, 3, false).bias).toBe(false);
    expect(() => new nn.GRU(2, 3, 1, true, false, 0, false, ...([7] as never[]))).toThrow(
      OptionError,
    );
    expect(new nn.GroupNorm(2, 4, 1e-3, false).affine).toBe(false);
    expect(new nn.MultiheadAttention(4, 2, 0.1).dropout).toBe(0.1);
    expect(new nn.TransformerEncoderLayer(4, 2, 8).linear1.outFeatures).toBe(8);
    expect(new data.DataLoader([1, 2, 3, 4], 2, true).sampler).toBeInstanceOf(data.RandomSampler);
    expect(
      () => new data.DataLoader([1, 2], 2, false, undefined, undefined, ...([4] as never[])),
    ).toThrow(OptionError);
  });
});

describe("PyTorch's keywords for positional arguments are read, not ignored", () => {
  it('norm({ dim }), uniform_({ from, to }), normal_({ mean, std }), nn.init with { a, b }', () => {
    const m = tensor([
      [3, 4],
      [6, 8],
    ]);
    expect(m.norm({ dim: 1 }).tolist()).toEqual([5, 10]);
    expect(m.norm({ p: 1, dim: 1, keepdim: true }).shape).toEqual([2, 1]);
    const u = zeros([1000]).uniform_({ from: 2, to: 3 });
    expect(u.min().item()).toBeGreaterThanOrEqual(2);
    const n = zeros([1000]).normal_({ mean: 5, std: 0.01 });
    expect(Math.abs((n.mean().item() as number) - 5)).toBeLessThan(0.01);
    const w = nn.init.uniform_(zeros([1000]), { a: -0.1, b: 0.1 });
    expect(w.abs().max().item()).toBeLessThanOrEqual(0.1);
    expect(w.abs().max().item()).toBeGreaterThan(0.05);
    const g = nn.init.normal_(zeros([1000]), { mean: 3, std: 0.01 });
    expect(Math.abs((g.mean().item() as number) - 3)).toBeLessThan(0.01);
    expect(nn.init.constant_(zeros([2]), { val: 7 }).tolist()).toEqual([7, 7]);
    expect(() => zeros([2]).uniform_({ from: 0 }, 1)).toThrow(OptionError);
  });

  it('dim-taking tensor functions read { dim, keepdim }', () => {
    const m = tensor([
      [1, 5, 2],
      [7, 0, 3],
    ]);
    expect(m.argmax({ dim: 1 }).tolist()).toEqual([1, 0]);
    expect(m.argmin({ dim: 1, keepdim: true }).shape).toEqual([2, 1]);
    expect(m.max({ dim: 0 }).values.tolist()).toEqual([7, 5, 3]);
    expect(m.min({ dim: 1, keepdim: true }).indices.shape).toEqual([2, 1]);
    expect(m.softmax({ dim: 1 }).tolist()).toEqual(m.softmax(1).tolist());
    expect(m.logSoftmax({ dim: 0 }).tolist()).toEqual(m.logSoftmax(0).tolist());
    expect(m.logsumexp({ dim: 1, keepdim: true }).shape).toEqual([2, 1]);
    expect(m.cumsum({ dim: 1 }).tolist()).toEqual(m.cumsum(1).tolist());
    expect(() => m.softmax({} as O)).toThrow("softmax(): missing option 'dim'");
  });

  it('modes, flags and scalars: an object is read as the keyword or refused, never taken as truthy/NaN', () => {
    const m = net();
    expect(m.train({ mode: false }).training).toBe(false);
    expect(m.train().training).toBe(true);
    expect(m.requiresGrad_({ requiresGrad: false }).parameters()[0]!.requiresGrad).toBe(false);
    expect(x().requiresGrad_({ requiresGrad: true }).requiresGrad).toBe(true);
    expect(() => m.train('no' as O)).toThrow(OptionError);
    expect(() => x().fill_({ value: 2 } as O)).toThrow(
      "fill_(): argument 'value' must be a number",
    );
    expect(() => x().maskedFill(x().gt(0), { value: 1 } as O)).toThrow(OptionError);
    expect(() => full([2], { fillValue: 3 } as O)).toThrow(OptionError);
    expect(() => x().mul({ other: 2 } as O)).toThrow(OptionError);
    expect(() => nabla.where(x().gt(0), x(), { other: 1 } as O)).toThrow(OptionError);
    expect(() => autograd.setDetectAnomaly({ mode: true } as O)).toThrow(OptionError);
    const p = nn.Parameter(tensor([5.0, -5.0]));
    p.grad = tensor([5.0, -5.0]);
    nn.clipGradValue_([p], { clipValue: 1 });
    expect(p.grad.tolist()).toEqual([1, -1]);
  });

  it('optimizers refuse positionals after lr (SGD(params, 0.1, 0.9) would drop the momentum)', () => {
    expect(() => new optim.SGD(params(), 0.1, ...([0.9] as never[]))).toThrow(
      'optim.SGD(): only lr may be given positionally',
    );
    expect(() => new optim.Adam(params(), 0.1, ...([[0.9, 0.99]] as never[]))).toThrow(OptionError);
  });

  it('shape functions and functional activations read { dim } and their other keywords', () => {
    const m = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(nabla.cat([m, m], { dim: 1 }).shape).toEqual([2, 6]);
    expect(nabla.stack([m, m], { dim: 1 }).shape).toEqual([2, 2, 3]);
    expect(m.split(1, { dim: 1 }).length).toBe(3);
    expect(m.chunk(2, { dim: 0 }).length).toBe(2);
    expect(m.unsqueeze({ dim: 1 }).shape).toEqual([2, 1, 3]);
    expect(m.unsqueeze({ dim: 0 }).squeeze({ dim: 0 }).shape).toEqual([2, 3]);
    expect(nabla.zeros([2, 3, 4]).flatten({ startDim: 1 }).shape).toEqual([2, 12]);
    expect(F.leakyRelu(tensor([-1]), { negativeSlope: 0.5 }).tolist()).toEqual([-0.5]);
    expect(F.elu(tensor([1]), { alpha: 0.5 }).tolist()).toEqual([1]);
    expect(F.hardtanh(tensor([5, -5]), { minVal: -2, maxVal: 2 }).tolist()).toEqual([2, -2]);
    expect(() => nabla.cat([m, m], { axis: 1 } as O)).toThrow(OptionError);
  });

  it('activation, dropout and flatten layers take their arguments positionally or by name', () => {
    expect(new nn.LeakyReLU({ negativeSlope: 0.2 }).negativeSlope).toBe(0.2);
    expect(new nn.LeakyReLU(0.3).negativeSlope).toBe(0.3);
    expect(new nn.ELU({ alpha: 0.5 }).alpha).toBe(0.5);
    expect(new nn.GELU({ approximate: 'tanh' }).approximate).toBe('tanh');
    expect(new nn.Hardtanh({ maxVal: 2 }).maxVal).toBe(2);
    expect(new nn.Softplus(2, 10).threshold).toBe(10);
    expect(new nn.Softmax({ dim: 0 }).dim).toBe(0);
    expect(new nn.Dropout({ p: 0.2 }).p).toBe(0.2);
    expect(new nn.Flatten({ startDim: 0 }).startDim).toBe(0);
    expect(new nn.PReLU({ numParameters: 3 }).weight.shape).toEqual([3]);
    expect(() => new nn.Dropout('0.2' as O)).toThrow(OptionError);
  });
});

describe('the mechanism', () => {
  it('an OptionError is a TypeError and a NablaError; other errors are unchanged', () => {
    const e = new OptionError('x');
    expect(e).toBeInstanceOf(TypeError);
    expect(e).toBeInstanceOf(NablaError);
    expect(e).not.toBeInstanceOf(ShapeError);
    expect(new ShapeError('x')).toBeInstanceOf(NablaError);
    expect(new TypeError('x')).not.toBeInstanceOf(NablaError);
  });

  it('suggests the nearest key: case and snake_case first, then a few edits', () => {
    expect(nearestKey('weight_decay', ['lr', 'weightDecay'])).toBe('weightDecay');
    expect(nearestKey('keepDim', ['dim', 'keepdim'])).toBe('keepdim');
    expect(nearestKey('dims', ['dim', 'keepdim'])).toBe('dim');
    expect(nearestKey('zzzzzz', ['dim', 'keepdim'])).toBeNull();
  });

  it('undefined values pass, inherited keys are not read, non-objects are refused', () => {
    expect(
      t2()
        .sum({ dim: undefined } as O)
        .item(),
    ).toBe(6);
    const inherited = Object.create({ dims: 1 }) as O;
    expect(t2().sum(inherited).item()).toBe(6);
    expect(() => t2().sum([0] as O)).not.toThrow();
    expect(() => nabla.add(t2(), 1, 2 as O)).toThrow('add(): expected an options object');
  });
});

function t2(): Tensor {
  return tensor([1, 2, 3]);
}
