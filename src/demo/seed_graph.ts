// The seed network's graph as SVG: a box per node (its value, and its gradient once backward ran) and the edges between them.
import { escapeHtml } from '../diagnostics/explain_html.js';

type Numbers = number | number[] | number[][];

export interface GraphNode {
  /** Its name in explain's account and the test's selectors: x, fc1.weight, z1, h, out, y, L. */
  readonly name: string;
  readonly label: string;
  readonly kind: 'input' | 'param' | 'op';
  /** null before the stage that computes it. */
  readonly value: Numbers | null;
  /** null before backward (or for tensors that need no gradient). */
  readonly grad: Numbers | null;
}

const W = 230;
/** Where each node's box sits (its top-left corner). */
const AT: Readonly<Record<string, readonly [number, number]>> = {
  x: [10, 14],
  'fc1.weight': [10, 130],
  'fc1.bias': [10, 270],
  z1: [270, 130],
  h: [530, 130],
  'fc2.weight': [790, 14],
  'fc2.bias': [790, 270],
  out: [790, 130],
  y: [1050, 270],
  L: [1050, 130],
};
/** The forward edges, from input to the node it feeds. */
const EDGES: readonly (readonly [string, string])[] = [
  ['x', 'z1'],
  ['fc1.weight', 'z1'],
  ['fc1.bias', 'z1'],
  ['z1', 'h'],
  ['h', 'out'],
  ['fc2.weight', 'out'],
  ['fc2.bias', 'out'],
  ['out', 'L'],
  ['y', 'L'],
];

const LINE = 16;

/** Rows of a value as the graph shows them: 4 significant digits, a matrix one row per line. */
function rows(v: Numbers): string[] {
  const f = (x: number) => String(Number(x.toPrecision(4)));
  if (typeof v === 'number') return [f(v)];
  if (v.length > 0 && Array.isArray(v[0]))
    return (v as number[][]).map((r) => `[${r.map(f).join(', ')}]`);
  return [`[${(v as number[]).map(f).join(', ')}]`];
}

const heightOf = (n: GraphNode) => {
  const r = n.value === null ? 1 : rows(n.value).length;
  return 30 + 2 * r * LINE + 8;
};

/** One node: its name, its value (black) and its gradient (red). */
export function nodeBox(n: GraphNode): string {
  const [x, y] = AT[n.name]!;
  const value = n.value === null ? ['—'] : rows(n.value);
  const grad = n.grad === null ? ['—'] : rows(n.grad);
  const lines: string[] = [];
  let ty = y + 22;
  lines.push(`<text class="name" x="${x + 8}" y="${ty}">${escapeHtml(n.label)}</text>`);
  value.forEach((r, i) => {
    ty += LINE;
    lines.push(
      `<text class="value" x="${x + 8}" y="${ty}">${i === 0 ? 'value ' : '      '}${escapeHtml(r)}</text>`,
    );
  });
  grad.forEach((r, i) => {
    ty += LINE;
    lines.push(
      `<text class="grad" x="${x + 8}" y="${ty}">${i === 0 ? '∂L/∂· ' : '      '}${escapeHtml(r)}</text>`,
    );
  });
  const data = (v: Numbers | null) => escapeHtml(JSON.stringify(v));
  return (
    `<g class="node ${n.kind}" data-node="${escapeHtml(n.name)}" data-value="${data(n.value)}" data-grad="${data(n.grad)}">` +
    `<rect x="${x}" y="${y}" width="${W}" height="${Math.max(heightOf(n), 70)}" rx="6"></rect>${lines.join('')}</g>`
  );
}

/** The arrow marker and the edges; after backward, the gradient's way back is drawn too. */
export function graphEdges(backward: boolean): string {
  const marker =
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8c959f"></path></marker></defs>';
  const paths = EDGES.map(([a, b]) => {
    const [ax, ay] = AT[a]!;
    const [bx, by] = AT[b]!;
    const ha = a === 'fc1.weight' ? 102 : 70;
    const hb = b === 'fc1.weight' ? 102 : 70;
    let from: [number, number];
    let to: [number, number];
    if (ax < bx)
      [from, to] = [
        [ax + W, ay + 35],
        [bx, by + 35],
      ];
    else if (ay < by)
      [from, to] = [
        [ax + W / 2, ay + ha],
        [bx + W / 2, by],
      ];
    else
      [from, to] = [
        [ax + W / 2, ay],
        [bx + W / 2, by + hb],
      ];
    const mx = (from[0] + to[0]) / 2;
    const my = (from[1] + to[1]) / 2;
    const curve = (p: readonly number[], q: readonly number[], off: number) =>
      ax < bx
        ? `M${p[0]},${p[1]! + off} C${mx},${p[1]! + off} ${mx},${q[1]! + off} ${q[0]},${q[1]! + off}`
        : `M${p[0]! + off},${p[1]} C${p[0]! + off},${my} ${q[0]! + off},${my} ${q[0]! + off},${q[1]}`;
    const back = backward ? `<path class="edge back" d="${curve(to, from, 10)}"></path>` : '';
    return `<path class="edge" d="${curve(from, to, 0)}"></path>${back}`;
  });
  return marker + paths.join('');
}
