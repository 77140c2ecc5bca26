// The "Backprop step by step" panel: the seed network as a graph; each click runs forward, loss, backward or update, and the chain rule is shown with its numbers (explain's data, typeset by KaTeX).
import katex from 'katex';
import { explain, manualSeed, nn, optim, tensor, type Explanation, type Tensor } from '../index.js';
import {
  backwardBlocks,
  forwardTable,
  gradientsTable,
  updateHtml,
  type MathHtml,
} from '../diagnostics/explain_html.js';
import { EQ, fmtNumber, formulaTex, sym, type Formula } from '../diagnostics/math.js';
import { nodeBox, graphEdges, type GraphNode } from './seed_graph.js';

/** The seed network of docs/seed.md, with PyTorch's module names. */
class SimpleNN extends nn.Module {
  fc1 = new nn.Linear(2, 2);
  fc2 = new nn.Linear(2, 1);

  forward(x: Tensor): Tensor {
    return this.fc2.forward(nn.functional.relu(this.fc1.forward(x)));
  }
}

const STAGES = ['forward', 'loss', 'backward', 'update'] as const;
type Stage = (typeof STAGES)[number];

const math: MathHtml = (f: Formula) =>
  katex.renderToString(formulaTex(f), {
    output: 'htmlAndMathml',
    throwOnError: false,
    strict: 'ignore',
  });

/** The lesson's state: the model, its optimizer, this step's tensors and explanation. */
class Lesson {
  readonly model: SimpleNN;
  readonly criterion = new nn.MSELoss();
  readonly optimizer: optim.SGD;
  readonly x = tensor([[1.0, 2.0]], { requiresGrad: true });
  readonly y = tensor([[1.0]]);
  /** The stages run in this step (0: none, 4: updated). */
  done = 0;
  step = 1;
  z1: Tensor | null = null;
  h: Tensor | null = null;
  out: Tensor | null = null;
  loss: Tensor | null = null;
  ex: Explanation | null = null;

  constructor() {
    manualSeed(0);
    this.model = new SimpleNN();
    this.optimizer = new optim.SGD(this.model.parameters(), { lr: 0.01 });
  }

  run(stage: Stage): void {
    const { model } = this;
    if (stage === 'forward') {
      if (this.done === 4) this.step += 1;
      this.optimizer.zeroGrad();
      this.x.grad = null;
      // The account of this step, computed on the side: explain leaves the model and optimizer as they are.
      this.ex = explain(() => this.criterion.forward(model.forward(this.x), this.y), {
        model,
        optimizer: this.optimizer,
        names: { x: this.x, y: this.y },
        title: `Step ${this.step}`,
      });
      this.z1 = model.fc1.forward(this.x).retainGrad();
      this.h = nn.functional.relu(this.z1).retainGrad();
      this.out = model.fc2.forward(this.h).retainGrad();
      this.loss = null;
    } else if (stage === 'loss') {
      this.loss = this.criterion.forward(this.out!, this.y).retainGrad();
    } else if (stage === 'backward') {
      this.loss!.backward();
    } else {
      this.optimizer.step();
    }
    this.done = STAGES.indexOf(stage) + 1;
  }

  /** The graph's nodes with their current values and gradients. */
  nodes(): GraphNode[] {
    const { fc1, fc2 } = this.model;
    const t = (name: string, label: string, v: Tensor | null, kind: GraphNode['kind']) => ({
      name,
      label,
      kind,
      value: v === null ? null : (v.tolist() as number[] | number[][] | number),
      grad: v?.grad ? (v.grad.tolist() as number[] | number[][] | number) : null,
    });
    return [
      t('x', 'x (input)', this.x, 'input'),
      t('fc1.weight', 'fc1.weight W₁', fc1.weight, 'param'),
      t('fc1.bias', 'fc1.bias b₁', fc1.bias!, 'param'),
      t('z1', 'z₁ = x W₁ᵀ + b₁', this.z1, 'op'),
      t('h', 'h = relu(z₁)', this.h, 'op'),
      t('fc2.weight', 'fc2.weight W₂', fc2.weight, 'param'),
      t('fc2.bias', 'fc2.bias b₂', fc2.bias!, 'param'),
      t('out', 'ŷ = h W₂ᵀ + b₂', this.out, 'op'),
      t('y', 'y (target)', this.y, 'input'),
      t('L', 'L = mean((ŷ − y)²)', this.loss, 'op'),
    ];
  }
}

/** What the stage shows below the graph, from the explanation. */
function mathHtml(l: Lesson): string {
  const ex = l.ex;
  if (ex === null || l.done === 0)
    return '<p class="muted">Press <b>1. Forward</b> to run the network on x.</p>';
  // The model's output is the last step that the model itself returned; the loss's steps follow it.
  const cut = ex.forward.findIndex((s) => s.modules.includes('')) + 1;
  const parts = [
    `<h2>Forward pass, step ${l.step}</h2>`,
    forwardTable(math, ex.forward.slice(0, cut)),
  ];
  if (l.done >= 2)
    parts.push(
      '<h2>Loss</h2>',
      forwardTable(math, ex.forward.slice(cut)),
      `<p class="loss">${math([sym('L'), EQ])} <b data-loss="${ex.loss}">${fmtNumber(ex.loss)}</b></p>`,
    );
  if (l.done >= 3)
    parts.push(
      '<h2>Backward pass: the chain rule, node by node</h2>',
      backwardBlocks(ex, math),
      '<h2>Gradients</h2>',
      gradientsTable(ex, math),
    );
  if (l.done >= 4) parts.push(updateHtml(ex, math));
  return parts.join('\n');
}

const STATUS = [
  'Ready: the weights are manualSeed(0)’s, as in PyTorch.',
  'Forward done: every node has its value.',
  'Loss computed.',
  'Backward done: every node has its gradient ∂L/∂node.',
  'Updated: w ← w − 0.01 · ∂L/∂w. Forward again for the next step.',
];

/** Sets up the panel inside `root` (the #seed section). */
export function seedLesson(root: HTMLElement): void {
  let lesson = new Lesson();
  const svg = root.querySelector<SVGSVGElement>('#seed-graph')!;
  const mathBox = root.querySelector<HTMLElement>('#seed-math')!;
  const status = root.querySelector<HTMLElement>('#seed-status')!;
  const buttons = [...root.querySelectorAll<HTMLButtonElement>('button[data-stage]')];
  const draw = () => {
    const nodes = lesson.nodes();
    svg.innerHTML = graphEdges(lesson.done === 3) + nodes.map((n) => nodeBox(n)).join('');
    mathBox.innerHTML = mathHtml(lesson);
    status.textContent = `Step ${lesson.step}. ${STATUS[lesson.done]!}`;
    root.dataset.stage = String(lesson.done);
    const next = lesson.done === 4 ? 0 : lesson.done;
    for (const b of buttons) {
      const i = STAGES.indexOf(b.dataset.stage as Stage);
      if (i >= 0) b.disabled = i !== next;
    }
  };
  for (const b of buttons)
    b.addEventListener('click', () => {
      const stage = b.dataset.stage!;
      if (stage === 'reset') lesson = new Lesson();
      else lesson.run(stage as Stage);
      draw();
    });
  draw();
}
