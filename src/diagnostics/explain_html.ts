// explain's HTML renderer: one self-contained page, the math typeset by KaTeX when the page is made.
import type { Explanation } from './explain.js';
import { backwardLines, findingMessages, moduleLabel } from './explain_render.js';
import { EQ, fmtNumber, formulaTex, sym, val, type Formula } from './math.js';
import type { ForwardStep } from './explain_types.js';

export interface HtmlOptions {
  /**
   * KaTeX's stylesheet with its fonts inlined (nabla/node's katexCss() reads it from the katex
   * package). With it the math is KaTeX's HTML (plus MathML for screen readers); without it, the
   * math is MathML, which browsers typeset natively. Either way the page needs no network.
   */
  readonly katexCss?: string;
}

const PAGE_CSS = `
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 2rem auto; max-width: 68rem; padding: 0 1.5rem; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #d0d7de; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #d0d7de; padding: .35rem .7rem; text-align: left; vertical-align: middle; }
th { background: #f6f8fa; }
.step { border-left: 3px solid #0969da; margin: 1rem 0; padding: .2rem 1rem; background: #f6f8fa; }
.step h3 { font-size: 1rem; margin: .3rem 0; font-weight: normal; }
.step h3 code { color: #57606a; margin-left: .5rem; }
.step ul { margin: .2rem 0 .4rem; padding-left: 1.2rem; }
.step li { margin: .35rem 0; }
.note { color: #57606a; font-size: .9em; margin-left: .5rem; }
.warn { color: #9a6700; background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: .4rem .8rem; margin: .4rem 0; }
.loss { font-size: 1.1rem; }
math { font-size: 1.1em; }
`;

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Typesets a formula as HTML (KaTeX's renderToString, or another renderer). */
export type MathHtml = (f: Formula) => string;

/** The forward steps as a table (all of them, or those given). */
export function forwardTable(m: MathHtml, steps: readonly ForwardStep[]): string {
  const rows = steps.map(
    (s) =>
      `<tr><td>${m([sym(s.symbol), EQ, ...s.formula])}</td><td>${m([val(s.value)])}</td><td>${escapeHtml(moduleLabel(s))}</td></tr>`,
  );
  return ['<table><tr><th>step</th><th>value</th><th>from</th></tr>', ...rows, '</table>'].join(
    '\n',
  );
}

/** The chain rule node by node: one block per backward step, with its terms and warnings. */
export function backwardBlocks(ex: Explanation, m: MathHtml): string {
  const body: string[] = [];
  for (const b of ex.backward) {
    body.push(
      `<div class="step" data-symbol="${escapeHtml(b.symbol)}"><h3>${m([sym(b.symbol), EQ, ...b.formula])}<code>${escapeHtml(b.node)}</code></h3><ul>`,
    );
    for (const l of backwardLines(b))
      body.push(
        `<li>${m(l.formula)}${l.note ? `<span class="note">(${escapeHtml(l.note)})</span>` : ''}</li>`,
      );
    body.push('</ul>');
    for (const f of findingMessages(ex, b.symbol))
      body.push(`<p class="warn">⚠ ${escapeHtml(f)}</p>`);
    body.push('</div>');
  }
  return body.join('\n');
}

/** ∂L/∂w for every parameter (and input that requires grad). */
export function gradientsTable(ex: Explanation, m: MathHtml): string {
  const rows = ex.gradients.map(
    (g) =>
      `<tr><td>${m([sym(g.name)])}${g.kind === 'input' ? ' (input)' : ''}</td><td>${m([val(g.grad)])}</td></tr>`,
  );
  return ['<table><tr><th>parameter</th><th>∂L/∂w</th></tr>', ...rows, '</table>'].join('\n');
}

/** The optimizer's update, with a heading; '' when the explanation has none. */
export function updateHtml(ex: Explanation, m: MathHtml): string {
  if (ex.update === null) return '';
  const u = ex.update;
  const body = [`<h2>Optimizer step: ${escapeHtml(u.optimizer)} (${escapeHtml(u.options)})</h2>`];
  if (u.rule) body.push(`<p>The rule: ${m(u.rule)}</p>`);
  body.push('<ul>');
  for (const p of u.updates) {
    body.push(
      p.formula
        ? `<li>${m(p.formula)}</li>`
        : `<li>${m([sym(p.name)])}: ${m([val(p.before)])} → ${m([val(p.after)])} <span class="note">(change ${m([val(p.change)])})</span></li>`,
    );
  }
  body.push('</ul>');
  return body.join('\n');
}

export async function renderHtml(ex: Explanation, opts?: HtmlOptions): Promise<string> {
  const katex = (await import('katex')).default;
  const output = opts?.katexCss === undefined ? 'mathml' : 'htmlAndMathml';
  const m = (f: Formula): string =>
    katex.renderToString(formulaTex(f), { output, throwOnError: false, strict: 'ignore' });
  const body: string[] = [`<h1>${escapeHtml(ex.title)}</h1>`];
  for (const n of ex.notes) body.push(`<p class="warn">${escapeHtml(n)}</p>`);

  body.push(
    '<h2>Inputs and parameters</h2>',
    '<table><tr><th>symbol</th><th>kind</th><th>value</th></tr>',
  );
  for (const l of ex.leaves)
    body.push(
      `<tr><td>${m([sym(l.symbol)])}</td><td>${l.kind}</td><td>${m([val(l.value)])}</td></tr>`,
    );
  body.push('</table>');

  body.push(
    '<h2>Forward pass</h2>',
    forwardTable(m, ex.forward),
    `<p class="loss">The loss: ${m([sym('L'), EQ])} <b>${fmtNumber(ex.loss)}</b></p>`,
  );
  body.push(
    '<h2>Backward pass</h2>',
    '<p>The chain rule, node by node, from L back to every parameter.</p>',
    backwardBlocks(ex, m),
    '<h2>Gradients</h2>',
    gradientsTable(ex, m),
  );
  const update = updateHtml(ex, m);
  if (update !== '') body.push(update);
  if (ex.findings.length > 0) {
    body.push('<h2>Findings</h2>');
    for (const f of findingMessages(ex)) body.push(`<p class="warn">⚠ ${escapeHtml(f)}</p>`);
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(ex.title)}</title>`,
    `<style>${PAGE_CSS}${opts?.katexCss ?? ''}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
