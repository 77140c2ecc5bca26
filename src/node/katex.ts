// KaTeX's stylesheet with its main fonts inlined as data: URLs, for explain's self-contained HTML.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The fonts explain's formulas use; rules for the others are dropped (their text falls back). */
const FONTS = new Set([
  'KaTeX_AMS-Regular',
  'KaTeX_Main-Regular',
  'KaTeX_Main-Bold',
  'KaTeX_Main-Italic',
  'KaTeX_Math-Italic',
  'KaTeX_Size1-Regular',
  'KaTeX_Size2-Regular',
  'KaTeX_Size3-Regular',
  'KaTeX_Size4-Regular',
]);

let cached: string | undefined;

/**
 * katex.min.css from the installed katex package, each @font-face pointing at its woff2 file
 * embedded as a data: URL, so that a page using it renders offline: pass it to
 * `explanation.toHtml({ katexCss: katexCss() })`.
 */
export function katexCss(): string {
  if (cached !== undefined) return cached;
  const dist = dirname(createRequire(import.meta.url).resolve('katex'));
  const css = readFileSync(join(dist, 'katex.min.css'), 'utf8');
  cached = css.replace(/@font-face\{[^}]*\}/g, (rule) => {
    const font = /url\(fonts\/([\w-]+)\.woff2\)/.exec(rule)?.[1];
    if (font === undefined || !FONTS.has(font)) return '';
    const data = readFileSync(join(dist, 'fonts', `${font}.woff2`)).toString('base64');
    return rule.replace(/src:[^;}]+/, `src:url(data:font/woff2;base64,${data}) format("woff2")`);
  });
  return cached;
}
