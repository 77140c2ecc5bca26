// explain's text and Markdown renderers: the same account as aligned terminal text or as Markdown.
import type { BackwardStep, Explanation, ForwardStep } from './explain.js';
import {
  EQ,
  d,
  fmtNumber,
  formulaTex,
  formulaText,
  sym,
  txt,
  val,
  valueText,
  type Formula,
  type Term,
} from './math.js';

const width = (s: string): number => [...s].length;
const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - width(s)));

/** The label after a forward value: the module that returned it, or 'loss'. */
export function moduleLabel(s: ForwardStep): string {
  if (s.symbol === 'L') return 'loss';
  return s.modules.map((m) => (m === '' ? 'model output' : m)).join(', ');
}

/** The findings as sentences; more than 4 of one kind on one activation are summed up in one. */
export function findingMessages(ex: Explanation, symbol?: string): string[] {
  const groups = new Map<string, Explanation['findings'][number][]>();
  for (const f of ex.findings) {
    if (symbol !== undefined && f.symbol !== symbol) continue;
    const key = `${f.symbol} ${f.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const out: string[] = [];
  for (const fs of groups.values()) {
    if (fs.length <= 4) {
      out.push(...fs.map((f) => f.message));
      continue;
    }
    const f = fs[0]!;
    const where = fs.map((g) => (g.unit !== null ? String(g.unit) : g.index.join(', ')));
    const list = `${where.slice(0, 8).join(', ')}${fs.length > 8 ? ', …' : ''}`;
    out.push(
      f.kind === 'dead-relu'
        ? `${f.symbol}: ${fs.length} ReLU units are dead (${list}): their inputs are ≤ 0, so they pass no gradient back.`
        : `${f.symbol}: ${fs.length} units are saturated (${list}): they pass almost no gradient back.`,
    );
  }
  return out;
}

/** The lines of one backward step, as formulas: ∂L/∂y, then ∂y/∂x and the product per input. */
export function backwardLines(b: BackwardStep): { formula: Formula; note?: string }[] {
  const lines: { formula: Formula; note?: string }[] = [];
  if (b.outputs.length > 0) {
    for (const o of b.outputs) {
      lines.push(
        o.grad === null
          ? { formula: [d('L', o.symbol), EQ, txt('0')], note: 'no gradient reached it' }
          : { formula: [d('L', o.symbol), EQ, val(o.grad)] },
      );
    }
  } else if (b.symbol === 'L') lines.push({ formula: [d('L', 'L'), EQ, txt('1')] });
  else if (b.parts.length > 1) {
    const sum: Formula = b.parts.flatMap((p, i) => (i === 0 ? [val(p)] : [txt('+'), val(p)]));
    lines.push({
      formula: [d('L', b.symbol), EQ, ...sum, EQ, val(b.grad)],
      note: `the sum over its ${b.parts.length} uses`,
    });
  } else lines.push({ formula: [d('L', b.symbol), EQ, val(b.grad)] });
  for (const t of b.terms) {
    if (t.local !== null && b.symbol !== 'L') {
      const f: Term[] = [d(b.symbol, t.input), EQ, ...t.local.formula];
      if (t.local.value !== null) f.push(EQ, val(t.local.value));
      lines.push({ formula: f });
    }
    const note =
      t.uses > 1
        ? `${t.input} is used ${t.uses === 2 ? 'twice' : `${t.uses} times`}: the contributions add up`
        : undefined;
    lines.push(note ? { formula: t.product, note } : { formula: t.product });
  }
  return lines;
}

function heading(title: string, char: string): string[] {
  return [title, char.repeat(width(title))];
}

export function renderText(ex: Explanation): string {
  const out: string[] = [...heading(ex.title, '═'), ''];
  for (const n of ex.notes) out.push(`Note: ${n}`, '');

  out.push(...heading('Inputs and parameters', '─'));
  const lw = Math.max(...ex.leaves.map((l) => width(l.symbol)), 1);
  for (const l of ex.leaves)
    out.push(`  ${pad(l.symbol, lw)} = ${pad(valueText(l.value), 0)}   (${l.kind})`);

  out.push('', ...heading('Forward pass, in the order computed', '─'));
  const lhs = ex.forward.map((s) => `${s.symbol} = ${formulaText(s.formula)}`);
  const fw = Math.min(Math.max(...lhs.map(width), 1), 40);
  const vals = ex.forward.map((s) => `= ${valueText(s.value)}`);
  const vw = Math.min(Math.max(...vals.map(width), 1), 40);
  ex.forward.forEach((s, i) => {
    const label = moduleLabel(s);
    out.push(
      `  ${pad(lhs[i]!, fw)}  ${pad(vals[i]!, vw)}${label ? `   ← ${label}` : ''}`.trimEnd(),
    );
  });
  out.push(`  loss L = ${fmtNumber(ex.loss)}`);

  out.push('', ...heading('Backward pass: the chain rule, from L back to every parameter', '─'));
  for (const b of ex.backward) {
    const head = `${b.symbol} = ${formulaText(b.formula)}`;
    out.push(`  ${pad(head, 44)}  [${b.node}]`);
    for (const l of backwardLines(b)) {
      out.push(`      ${formulaText(l.formula)}${l.note ? `   (${l.note})` : ''}`);
    }
    for (const f of findingMessages(ex, b.symbol)) out.push(`      ⚠ ${f}`);
  }

  out.push('', ...heading('Gradients: ∂L/∂w for every parameter', '─'));
  const gl = ex.gradients.map((g) => `∂L/∂${g.name}`);
  const gw = Math.max(...gl.map(width), 1);
  ex.gradients.forEach((g, i) => {
    out.push(
      `  ${pad(gl[i]!, gw)} = ${valueText(g.grad)}${g.kind === 'input' ? '   (input)' : ''}`,
    );
  });

  if (ex.update !== null) {
    const u = ex.update;
    const rule = u.rule ? `: ${formulaText(u.rule)}` : '';
    out.push('', ...heading(`Optimizer step: ${u.optimizer} (${u.options})${rule}`, '─'));
    const nw = Math.max(...u.updates.map((p) => width(p.name)), 1);
    for (const p of u.updates) {
      if (p.formula) out.push(`  ${formulaText(p.formula)}`);
      else {
        out.push(
          `  ${pad(p.name, nw)} ← ${valueText(p.before)} → ${valueText(p.after)}   (change ${valueText(p.change)})`,
        );
      }
    }
  }

  if (ex.findings.length > 0) {
    out.push('', ...heading('Findings', '─'));
    for (const f of findingMessages(ex)) out.push(`  ⚠ ${f}`);
  }
  return `${out.join('\n')}\n`;
}

export interface MarkdownOptions {
  /** 'text' (default): formulas as code spans; 'latex': as $…$ math (GitHub, most renderers). */
  readonly math?: 'text' | 'latex';
}

export function renderMarkdown(ex: Explanation, opts?: MarkdownOptions): string {
  const latex = opts?.math === 'latex';
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const m = (f: Formula) => (latex ? `$${formulaTex(f)}$` : `\`${formulaText(f)}\``);
  const out: string[] = [`# ${ex.title}`, ''];
  for (const n of ex.notes) out.push(`> **Note:** ${n}`, '');

  out.push('## Inputs and parameters', '', '| symbol | kind | value |', '| --- | --- | --- |');
  for (const l of ex.leaves)
    out.push(`| ${cell(m([sym(l.symbol)]))} | ${l.kind} | ${cell(m([val(l.value)]))} |`);

  out.push('', '## Forward pass', '', '| step | value | from |', '| --- | --- | --- |');
  for (const s of ex.forward) {
    out.push(
      `| ${cell(m([sym(s.symbol), EQ, ...s.formula]))} | ${cell(m([val(s.value)]))} | ${moduleLabel(s)} |`,
    );
  }
  out.push('', `The loss: **L = ${fmtNumber(ex.loss)}**.`);

  out.push(
    '',
    '## Backward pass',
    '',
    'The chain rule, node by node, from L back to every parameter.',
  );
  for (const b of ex.backward) {
    out.push('', `### ${m([sym(b.symbol), EQ, ...b.formula])} (${b.node})`, '');
    for (const l of backwardLines(b)) out.push(`- ${m(l.formula)}${l.note ? ` (${l.note})` : ''}`);
    for (const f of findingMessages(ex, b.symbol)) out.push(`- ⚠ ${f}`);
  }

  out.push('', '## Gradients', '', '| parameter | ∂L/∂w |', '| --- | --- |');
  for (const g of ex.gradients)
    out.push(
      `| ${cell(m([sym(g.name)]))}${g.kind === 'input' ? ' (input)' : ''} | ${cell(m([val(g.grad)]))} |`,
    );

  if (ex.update !== null) {
    const u = ex.update;
    out.push('', `## Optimizer step: ${u.optimizer} (${u.options})`, '');
    if (u.rule) out.push(`The rule: ${m(u.rule)}.`, '');
    for (const p of u.updates) {
      out.push(
        p.formula
          ? `- ${m(p.formula)}`
          : `- ${m([sym(p.name)])}: ${m([val(p.before)])} → ${m([val(p.after)])} (change ${m([val(p.change)])})`,
      );
    }
  }
  if (ex.findings.length > 0) {
    out.push('', '## Findings', '');
    for (const f of findingMessages(ex)) out.push(`- ⚠ ${f}`);
  }
  return `${out.join('\n')}\n`;
}
