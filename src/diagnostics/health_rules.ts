// The gradient-health rules: vanishing/exploding gradients, dead ReLUs, a learning rate too high or too low, and the text report.
import type { LayerInfo, LayerStats, LayerSummary, StepRecord } from './health.js';

export type DiagnosisKind =
  'vanishing-gradients' | 'exploding-gradients' | 'dead-relu' | 'lr-too-high' | 'lr-too-low';

/** One finding: what, where, the numbers behind it, and what to do. */
export interface Diagnosis {
  readonly kind: DiagnosisKind;
  /** 'error' when values are already NaN/Inf; 'warning' otherwise. */
  readonly severity: 'warning' | 'error';
  readonly title: string;
  /** The layers involved, by module path. */
  readonly layers: readonly string[];
  /** The evidence, in a sentence or two with the numbers. */
  readonly message: string;
  readonly remedies: readonly string[];
}

export interface HealthThresholds {
  /** Records needed before a persistent condition is judged. */
  readonly minRecords: number;
  /** The fraction of records in which a condition must hold to be persistent. */
  readonly persistence: number;
  /** Vanishing: the first weight layer's gradient norm below this fraction of the late layers'. */
  readonly vanishingRatio: number;
  /** Exploding: the first weight layer's gradient norm above this multiple of the late layers'. */
  readonly explodingRatio: number;
  /** Exploding: the total gradient norm growing by this factor from the first to the last third. */
  readonly growth: number;
  /** Dead ReLUs: a layer with at least this fraction of dead units (median over the last half). */
  readonly deadFraction: number;
  /** LR too high: a layer whose update moves its weights by more than this fraction per step. */
  readonly highUpdateRatio: number;
  /** LR too low: the typical layer's update below this fraction of its weights per step. */
  readonly lowUpdateRatio: number;
  /** Loss rules need at least this many recorded losses. */
  readonly minLosses: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = {
  minRecords: 3,
  persistence: 0.75,
  vanishingRatio: 1e-3,
  explodingRatio: 1e3,
  growth: 100,
  deadFraction: 0.5,
  highUpdateRatio: 0.1,
  lowUpdateRatio: 1e-4,
  minLosses: 10,
};

/** The median of the finite numbers among xs (NaN when there are none). */
export function median(xs: readonly (number | undefined)[]): number {
  const v = xs
    .filter((x): x is number => x !== undefined && Number.isFinite(x))
    .sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** A number in 3 significant digits (1.23e-5 style when small or large). */
export function fmt(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return '-';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-2 && a < 1e4 ? String(Number(x.toPrecision(3))) : x.toExponential(2);
}

const label = (l: LayerInfo) => `${l.name === '' ? '(model)' : l.name} (${l.type})`;

function listLayers(ls: readonly LayerInfo[], max = 6): string {
  const names = ls.map(label);
  return names.length <= max
    ? names.join(', ')
    : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** An exponential moving average with bias correction (as the LR finder smooths its curve). */
export function smooth(xs: readonly number[], beta: number): number[] {
  let avg = 0;
  return xs.map((x, i) => {
    avg = beta * avg + (1 - beta) * x;
    return avg / (1 - beta ** (i + 1));
  });
}

const REMEDY = {
  relu: "Use ReLU (nn.ReLU) instead of sigmoid/tanh in the hidden layers: its derivative is 1 wherever it is active, while sigmoid's is at most 0.25, so every sigmoid layer shrinks the gradient at least 4×.",
  init: "Initialise for the nonlinearity instead of with a fixed small std: Kaiming/He for ReLU (nn.init.kaimingNormal_(w, { nonlinearity: 'relu' })), Xavier/Glorot for tanh or sigmoid (nn.init.xavierUniform_(w)).",
  bn: "Add BatchNorm (nn.BatchNorm1d / nn.BatchNorm2d) after the linear or convolution layers: it keeps every layer's activations, and so its gradients, at unit scale.",
  adamResidual:
    'Residual (skip) connections or fewer layers shorten the chain; Adam (optim.Adam) rescales small gradients per parameter.',
  clip: 'Clip the gradient norm between backward() and step(): nn.clipGradNorm_(model.parameters(), 1.0).',
  lowerLr:
    'Lower the learning rate (3–10×; `nabla lr-find` or lrFind() suggests one), or warm it up with a schedule (optim.lrScheduler.OneCycleLR).',
  initLarge:
    'Initialise at the scale the layer needs (Kaiming for ReLU, Xavier for tanh) rather than a large std, and consider BatchNorm.',
  deadLr:
    "Lower the learning rate: one large update can push a ReLU's weights and bias to where it never fires again, and then it gets no gradient to recover.",
  leaky: 'Use nn.LeakyReLU or nn.GELU, which pass a gradient for negative inputs too.',
  deadInit:
    'Kaiming init with zero biases, or BatchNorm before the ReLU, keeps pre-activations centred so units fire on part of every batch.',
  schedule:
    'Use a schedule that decays the rate (optim.lrScheduler.CosineAnnealingLR, StepLR) or warms up and anneals (OneCycleLR).',
  adamHigh:
    'Clip gradients (nn.clipGradNorm_) so that one bad batch cannot throw the weights far; Adam is less sensitive to the gradient scale than SGD.',
  raiseLr:
    'Raise the learning rate (`nabla lr-find` or lrFind() suggests one): an update of about 1e-3 of the weights per step is typical.',
  adamLow:
    'Use Adam (optim.Adam), whose steps are about lr per parameter whatever the gradient scale, or OneCycleLR, which spends much of the run at a high rate.',
};

function stat(r: StepRecord, l: LayerInfo, f: keyof LayerStats): number | undefined {
  return r.layers.get(l.name)?.[f];
}

function depthRatios(weights: readonly LayerInfo[], records: readonly StepRecord[]) {
  const late = weights.slice(Math.floor(weights.length / 2));
  const perRecord: { ratio: number; rel: Map<string, number> }[] = [];
  for (const r of records) {
    const ref = Math.max(...late.map((l) => stat(r, l, 'gradNorm') ?? NaN));
    const first = stat(r, weights[0]!, 'gradNorm');
    // NOTE: an exactly zero gradient means no path passes any gradient (dead ReLUs, frozen
    // input): that is the dead-ReLU rule's business, not a gradient that shrank on its way back.
    if (
      !(ref > 0) ||
      !Number.isFinite(ref) ||
      !(first !== undefined && first > 0 && Number.isFinite(first))
    )
      continue;
    const rel = new Map(weights.map((l) => [l.name, (stat(r, l, 'gradNorm') ?? NaN) / ref]));
    perRecord.push({ ratio: first / ref, rel });
  }
  return perRecord;
}

function vanishingAndDepthExploding(
  layers: readonly LayerInfo[],
  records: readonly StepRecord[],
  t: HealthThresholds,
): { found: Diagnosis[]; vanished: Set<string> } {
  const found: Diagnosis[] = [];
  const vanished = new Set<string>();
  const weights = layers.filter((l) => l.kind === 'weight');
  if (weights.length < 2) return { found, vanished };
  const rs = depthRatios(weights, records);
  if (rs.length < t.minRecords) return { found, vanished };
  const frac = (p: (x: number) => boolean) => rs.filter((r) => p(r.ratio)).length / rs.length;
  const med = median(rs.map((r) => r.ratio));
  const relMed = (l: LayerInfo) => median(rs.map((r) => r.rel.get(l.name)));
  const first = weights[0]!;
  if (frac((x) => x < t.vanishingRatio) >= t.persistence) {
    const starved = weights.filter((l) => relMed(l) < t.vanishingRatio);
    for (const l of starved) vanished.add(l.name);
    const squashing = layers.filter((l) => l.type === 'Sigmoid' || l.type === 'Tanh');
    found.push({
      kind: 'vanishing-gradients',
      severity: 'warning',
      title: 'vanishing gradients',
      layers: starved.map((l) => l.name),
      message:
        `The gradient reaching the first layer, ${label(first)}, is ${fmt(med)} × that of the last layers ` +
        `(median over ${rs.length} records; below ${fmt(t.vanishingRatio)} in ${Math.round(100 * frac((x) => x < t.vanishingRatio))}% of them). ` +
        `${starved.length} of ${weights.length} weight layers get less than ${fmt(t.vanishingRatio)} of it: ${listLayers(starved)}. ` +
        `These layers barely learn.` +
        (squashing.length > 0
          ? ` The network has ${squashing.length} ${squashing[0]!.type} layer${squashing.length > 1 ? 's' : ''}, whose derivative is below 1 everywhere.`
          : ''),
      remedies: [
        ...(squashing.length > 0 ? [REMEDY.relu] : []),
        REMEDY.init,
        REMEDY.bn,
        REMEDY.adamResidual,
      ],
    });
  } else if (frac((x) => x > t.explodingRatio) >= t.persistence) {
    const big = weights.filter((l) => relMed(l) > t.explodingRatio);
    found.push({
      kind: 'exploding-gradients',
      severity: 'warning',
      title: 'exploding gradients',
      layers: big.map((l) => l.name),
      message:
        `The gradient grows on its way back through the network: the first layer, ${label(first)}, gets ${fmt(med)} × the gradient of the last layers ` +
        `(median over ${rs.length} records). Largest: ${listLayers(big)}.`,
      remedies: [REMEDY.initLarge, REMEDY.clip, REMEDY.lowerLr],
    });
  }
  return { found, vanished };
}

const NON_FINITE = ['nonFiniteGrad', 'nonFiniteWeight', 'nonFiniteAct'] as const;

function hasNonFinite(r: StepRecord): boolean {
  for (const s of r.layers.values()) if (NON_FINITE.some((f) => (s[f] ?? 0) > 0)) return true;
  return false;
}

function totalGradNorm(layers: readonly LayerInfo[], r: StepRecord): number {
  return Math.sqrt(
    layers.reduce(
      (s, l) => s + (l.kind === 'activation' ? 0 : (stat(r, l, 'gradNorm') ?? 0) ** 2),
      0,
    ),
  );
}

function nonFinite(
  layers: readonly LayerInfo[],
  records: readonly StepRecord[],
  losses: readonly number[],
): Diagnosis | undefined {
  const where = { nonFiniteGrad: 'gradient', nonFiniteWeight: 'weights', nonFiniteAct: 'output' };
  const remedies = [REMEDY.clip, REMEDY.lowerLr, REMEDY.initLarge];
  const at = records.findIndex(hasNonFinite);
  const lossAt = losses.findIndex((x) => !Number.isFinite(x));
  if (at < 0 && lossAt < 0) return undefined;
  const lossText =
    lossAt >= 0 ? ` The loss became ${String(losses[lossAt])} at step ${lossAt}.` : '';
  const before = records.slice(0, at < 0 ? records.length : at);
  const trail =
    before.length >= 2
      ? ` Before that the total gradient norm went ${fmt(totalGradNorm(layers, before[0]!))} (step ${before[0]!.step}) → ${fmt(totalGradNorm(layers, before.at(-1)!))} (step ${before.at(-1)!.step}).`
      : before.length === 1
        ? ` Before that the total gradient norm was ${fmt(totalGradNorm(layers, before[0]!))} (step ${before[0]!.step}).`
        : '';
  if (at < 0) {
    return {
      kind: 'exploding-gradients',
      severity: 'error',
      title: 'exploding gradients (NaN/Inf)',
      layers: [],
      message: `${lossText.trim()}${trail}`,
      remedies,
    };
  }
  const r = records[at]!;
  const bad = layers.filter((l) => NON_FINITE.some((f) => (stat(r, l, f) ?? 0) > 0));
  const what = bad.map((l) => {
    const kinds = NON_FINITE.filter((f) => (stat(r, l, f) ?? 0) > 0).map((f) => where[f]);
    return `${label(l)} (${kinds.join(', ')})`;
  });
  return {
    kind: 'exploding-gradients',
    severity: 'error',
    title: 'exploding gradients (NaN/Inf)',
    layers: bad.map((l) => l.name),
    message:
      `Non-finite values (NaN or Inf) from step ${r.step} on, first in ${what.slice(0, 4).join(', ')}` +
      `${what.length > 4 ? ` and ${what.length - 4} more layers` : ''}.${lossText}${trail}`,
    remedies,
  };
}

function growth(
  layers: readonly LayerInfo[],
  records: readonly StepRecord[],
  t: HealthThresholds,
): Diagnosis | undefined {
  const params = layers.filter((l) => l.kind !== 'activation');
  const total = records.map((r) => totalGradNorm(layers, r));
  if (total.length < 2 * t.minRecords) return undefined;
  const third = Math.floor(total.length / 3);
  const early = median(total.slice(0, third));
  const late = median(total.slice(-third));
  if (!(early > 0) || !(late / early >= t.growth)) return undefined;
  const layerGrowth = (l: LayerInfo) => {
    const g = records.map((r) => stat(r, l, 'gradNorm'));
    return median(g.slice(-third)) / median(g.slice(0, third));
  };
  const growing = params.filter((l) => layerGrowth(l) >= t.growth);
  return {
    kind: 'exploding-gradients',
    severity: 'warning',
    title: 'exploding gradients',
    layers: growing.map((l) => l.name),
    message: `The total gradient norm grew ${fmt(late / early)}× (median ${fmt(early)} in the first third of the records, ${fmt(late)} in the last), fastest in ${listLayers(growing)}.`,
    remedies: [REMEDY.clip, REMEDY.lowerLr, REMEDY.initLarge],
  };
}

function deadRelus(
  layers: readonly LayerInfo[],
  records: readonly StepRecord[],
  t: HealthThresholds,
): Diagnosis | undefined {
  if (records.length < t.minRecords) return undefined;
  const recent = records.slice(Math.floor(records.length / 2));
  const found: [LayerInfo, number][] = [];
  for (const l of layers) {
    if (l.type !== 'ReLU') continue;
    const v = recent.map((r) => stat(r, l, 'deadFraction')).filter((x) => x !== undefined);
    if (v.length === 0) continue;
    const m = median(v);
    if (m >= t.deadFraction) found.push([l, m]);
  }
  if (found.length === 0) return undefined;
  return {
    kind: 'dead-relu',
    severity: 'warning',
    title: 'dead ReLUs',
    layers: found.map(([l]) => l.name),
    message: `Units that output 0 for every sample of the batch, and so pass no gradient: ${found
      .map(([l, m]) => `${label(l)} ${Math.round(100 * m)}%`)
      .join(', ')} (median over the last ${recent.length} records).`,
    remedies: [REMEDY.deadLr, REMEDY.leaky, REMEDY.deadInit],
  };
}

function lossTrend(losses: readonly number[], t: HealthThresholds): string | undefined {
  if (losses.length < t.minLosses) return undefined;
  if (losses.some((x) => !Number.isFinite(x))) return undefined; // reported as NaN/Inf
  const s = smooth(losses, losses.length >= 100 ? 0.95 : 0.8);
  const initial = s[0]!;
  const final = s.at(-1)!;
  const bestAt = s.indexOf(Math.min(...s));
  const best = s[bestAt]!;
  const peak = Math.max(...s.slice(bestAt));
  // Diverging: after its best the loss rose by half again, and it has lost a quarter of the progress.
  if (peak >= 1.5 * best && final >= best + 0.25 * Math.max(0, initial - best)) {
    return `the loss diverges: smoothed, it fell to ${fmt(best)} (from ${fmt(initial)}), rose to ${fmt(peak)} and is ${fmt(final)} now`;
  }
  const half = losses.slice(Math.floor(losses.length / 2));
  const mean = half.reduce((a, b) => a + b, 0) / half.length;
  const sd = Math.sqrt(half.reduce((a, b) => a + (b - mean) ** 2, 0) / half.length);
  if (final >= 0.9 * initial && sd / mean >= 0.3) {
    return `the loss oscillates without falling: ${fmt(initial)} at the start, ${fmt(final)} now, swinging by ±${fmt(sd)} around ${fmt(mean)}`;
  }
  return undefined;
}

function learningRate(
  layers: readonly LayerInfo[],
  records: readonly StepRecord[],
  losses: readonly number[],
  vanished: ReadonlySet<string>,
  t: HealthThresholds,
): Diagnosis[] {
  const out: Diagnosis[] = [];
  const params = layers.filter((l) => l.kind !== 'activation');
  const ratio = (l: LayerInfo) => median(records.map((r) => stat(r, l, 'updateRatio')));
  const enough = records.length >= t.minRecords;
  const high = enough ? params.filter((l) => ratio(l) > t.highUpdateRatio) : [];
  const trend = lossTrend(losses, t);
  if (trend !== undefined || high.length > 0) {
    const parts = [
      ...(trend !== undefined ? [`${trend[0]!.toUpperCase()}${trend.slice(1)}.`] : []),
      ...(high.length > 0
        ? [
            `Each step moves the weights by more than ${fmt(t.highUpdateRatio)} of their norm in ${high
              .map((l) => `${label(l)} (${fmt(ratio(l))})`)
              .join(', ')}; about 1e-3 is typical.`,
          ]
        : []),
    ];
    out.push({
      kind: 'lr-too-high',
      severity: 'warning',
      title: 'learning rate too high',
      layers: high.map((l) => l.name),
      message: parts.join(' '),
      remedies: [REMEDY.lowerLr, REMEDY.schedule, REMEDY.adamHigh],
    });
  }
  // Layers that did not move at all get no gradient (dead units, frozen): not a matter of the rate.
  const weights = layers.filter(
    (l) => l.kind === 'weight' && !vanished.has(l.name) && ratio(l) > 0,
  );
  const typical = median(weights.map(ratio));
  if (enough && weights.length > 0 && typical < t.lowUpdateRatio) {
    const slow = weights.filter((l) => ratio(l) < t.lowUpdateRatio);
    out.push({
      kind: 'lr-too-low',
      severity: 'warning',
      title: 'learning rate too low',
      layers: slow.map((l) => l.name),
      message: `A step changes the typical layer's weights by only ${fmt(typical)} of their norm (median over layers and ${records.length} records), far below the usual ~1e-3: training will crawl. Slowest: ${listLayers(slow)}.`,
      remedies: [REMEDY.raiseLr, REMEDY.adamLow],
    });
  }
  return out;
}

/** Applies every rule to the monitor's records and losses; an empty list means no alarm. */
export function diagnose(
  layers: readonly LayerInfo[],
  records: readonly StepRecord[],
  losses: readonly number[],
  t: HealthThresholds = DEFAULT_THRESHOLDS,
): Diagnosis[] {
  const out: Diagnosis[] = [];
  const nan = nonFinite(layers, records, losses);
  if (nan !== undefined) out.push(nan);
  // NOTE: once values are NaN/Inf every later statistic is noise (a NaN is not > 0, so every ReLU
  // looks dead): the other rules judge only the records before the first non-finite one.
  const bad = records.findIndex(hasNonFinite);
  const clean = bad < 0 ? records : records.slice(0, bad);
  const depth = vanishingAndDepthExploding(layers, clean, t);
  out.push(...depth.found);
  if (!out.some((d) => d.kind === 'exploding-gradients')) {
    const g = growth(layers, clean, t);
    if (g !== undefined) out.push(g);
  }
  const dead = deadRelus(layers, clean, t);
  if (dead !== undefined) out.push(dead);
  out.push(...learningRate(layers, clean, losses, depth.vanished, t));
  return out;
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

/** The report as text: the diagnoses with their remedies, then a per-layer table of medians. */
export function renderReport(r: {
  steps: number;
  every: number;
  records: number;
  losses: readonly number[];
  diagnoses: readonly Diagnosis[];
  layers: readonly LayerSummary[];
}): string {
  const num = (x: number | undefined) => (x !== undefined && Number.isNaN(x) ? 'NaN' : fmt(x));
  const loss = r.losses.length > 0 ? `, loss ${num(r.losses[0])} → ${num(r.losses.at(-1))}` : '';
  const lines = [
    `Gradient health: ${r.steps} steps, ${r.records} records (every ${r.every} step${r.every > 1 ? 's' : ''})${loss}`,
    '',
  ];
  if (r.diagnoses.length === 0) {
    lines.push('✓ No alarms: gradients, updates and activations look healthy.', '');
  }
  for (const d of r.diagnoses) {
    lines.push(
      `✗ ${d.title[0]!.toUpperCase()}${d.title.slice(1)}${d.severity === 'error' ? ' (error)' : ''}`,
    );
    lines.push(wrap(d.message, 96, '  '));
    lines.push('  Remedies:');
    for (const remedy of d.remedies)
      lines.push(wrap(remedy, 92, '      ').replace(/^ {6}/, '    - '));
    lines.push('');
  }
  const head = [
    'layer',
    'grad norm',
    'weight norm',
    'update/weight',
    'act mean',
    'act std',
    'dead',
  ];
  const rows = r.layers.map((l) => [
    `${l.name === '' ? '(model)' : l.name} ${l.type}`,
    fmt(l.gradNorm),
    fmt(l.weightNorm),
    fmt(l.updateRatio),
    fmt(l.actMean),
    fmt(l.actStd),
    Number.isNaN(l.deadFraction) ? '-' : `${Math.round(100 * l.deadFraction)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmtRow = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  lines.push('Per layer (medians over the records):', fmtRow(head), ...rows.map(fmtRow));
  return lines.join('\n');
}
