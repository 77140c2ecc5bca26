// The digits panel: the MLP trains in a worker with live loss and test accuracy; then a digit drawn on the pad is shrunk to 8×8 with intensities 0–16 (as in the data set) and classified.
import { drawChart, type Series } from './chart.js';
import type { TrainerWorker } from '../worker/index.js';
import type { DemoConfig, DigitsRequests } from './protocol.js';

/** The size of the bitmap the UCI digits were normalised to before 4×4 blocks were counted. */
const BITMAP = 32;

/**
 * The drawing as the data set's 64 pixels: the ink's bounding box scaled (keeping its aspect) to
 * fill a 32×32 bitmap, thresholded, and each 4×4 block's count of inked pixels (0–16); null when
 * nothing is drawn.
 */
export function toDigitPixels(pad: HTMLCanvasElement): number[] | null {
  const { width: w, height: h } = pad;
  const img = pad.getContext('2d')!.getImageData(0, 0, w, h).data;
  let [x0, y0, x1, y1] = [w, h, -1, -1];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (img[(y * w + x) * 4]! > 64) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
  if (x1 < 0) return null;
  const side = Math.max(x1 - x0, y1 - y0) + 1;
  const small = document.createElement('canvas');
  small.width = small.height = BITMAP;
  const ctx = small.getContext('2d', { willReadFrequently: true })!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, BITMAP, BITMAP);
  const scale = BITMAP / side;
  const dx = (BITMAP - (x1 - x0 + 1) * scale) / 2;
  const dy = (BITMAP - (y1 - y0 + 1) * scale) / 2;
  ctx.drawImage(
    pad,
    x0,
    y0,
    x1 - x0 + 1,
    y1 - y0 + 1,
    dx,
    dy,
    (x1 - x0 + 1) * scale,
    (y1 - y0 + 1) * scale,
  );
  const bits = ctx.getImageData(0, 0, BITMAP, BITMAP).data;
  const out = new Array<number>(64).fill(0);
  for (let y = 0; y < BITMAP; y++)
    for (let x = 0; x < BITMAP; x++)
      if (bits[(y * BITMAP + x) * 4]! > 96) out[(y >> 2) * 8 + (x >> 2)]! += 1;
  return out;
}

/** Sets up the panel inside `root` (the #digits section), training in the worker `run` serves. */
export function digitsPanel(
  root: HTMLElement,
  run: TrainerWorker<DemoConfig, DigitsRequests>,
  dataUrl: string,
): void {
  const trainButton = root.querySelector<HTMLButtonElement>('#digits-train')!;
  const epochs = root.querySelector<HTMLInputElement>('#digits-epochs')!;
  const status = root.querySelector<HTMLElement>('#digits-status')!;
  const curves = root.querySelector<HTMLCanvasElement>('#digits-curves')!;
  const pad = root.querySelector<HTMLCanvasElement>('#digits-pad')!;
  const small = root.querySelector<HTMLCanvasElement>('#digits-small')!;
  const guess = root.querySelector<HTMLElement>('#digits-guess')!;
  const probsBox = root.querySelector<HTMLElement>('#digits-probs')!;
  const loss: Series = { label: 'loss', color: '#0969da', points: [] };
  const acc: Series = { label: 'test accuracy', color: '#1a7f37', points: [] };
  let trained = false;
  const draw = () => {
    const top = Math.max(1, ...loss.points.map((p) => p.y));
    drawChart(curves, [loss, acc], { yRange: [0, Math.ceil(top * 2) / 2] });
  };

  const train = async () => {
    loss.points.length = 0;
    acc.points.length = 0;
    trained = false;
    root.dataset.state = 'training';
    trainButton.disabled = true;
    status.textContent = 'loading the digits…';
    try {
      const n = Math.max(1, Math.min(50, Number(epochs.value) || 8));
      await run.build({ kind: 'digits', dataUrl, epochs: n });
      const result = await run.fit();
      const accuracy = result.metrics.at(-1)?.valAccuracy ?? NaN;
      trained = true;
      root.dataset.state = 'trained';
      status.textContent = `trained: test accuracy ${(100 * accuracy).toFixed(1)}%. Draw a digit!`;
      guess.textContent = 'Draw a digit.';
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      console.warn(`nabla demo: ${message}`);
      status.textContent = `error: ${message}`;
    } finally {
      trainButton.disabled = false;
    }
  };
  trainButton.addEventListener('click', () => void train());
  run.on('step', (e) => {
    loss.points.push({ x: e.step, y: e.loss });
    if (e.step % 5 !== 0) return;
    status.textContent = `epoch ${e.epoch + 1}, step ${e.step}, loss ${e.loss.toFixed(3)}`;
    draw();
  });
  run.on('epochEnd', (e) => {
    acc.points.push({ x: e.metrics.epoch * e.progress.total, y: e.metrics.valAccuracy });
    root.dataset.accuracy = String(e.metrics.valAccuracy);
    draw();
  });

  const pen = pad.getContext('2d', { willReadFrequently: true })!;
  const clear = () => {
    pen.fillStyle = '#000';
    pen.fillRect(0, 0, pad.width, pad.height);
    small.getContext('2d')!.clearRect(0, 0, 8, 8);
    probsBox.innerHTML = '';
    guess.textContent = trained ? 'Draw a digit.' : 'Train first, then draw.';
    delete root.dataset.guess;
  };
  clear();
  root.querySelector('#digits-clear')!.addEventListener('click', clear);
  let last: [number, number] | null = null;
  const at = (e: PointerEvent): [number, number] => {
    const r = pad.getBoundingClientRect();
    return [
      ((e.clientX - r.left) * pad.width) / r.width,
      ((e.clientY - r.top) * pad.height) / r.height,
    ];
  };
  pad.addEventListener('pointerdown', (e) => {
    last = at(e);
    pad.setPointerCapture(e.pointerId);
  });
  pad.addEventListener('pointermove', (e) => {
    if (last === null) return;
    const p = at(e);
    pen.strokeStyle = '#fff';
    pen.lineWidth = 18;
    pen.lineCap = pen.lineJoin = 'round';
    pen.beginPath();
    pen.moveTo(...last);
    pen.lineTo(...p);
    pen.stroke();
    last = p;
  });
  pad.addEventListener('pointerup', () => {
    last = null;
    const pixels = toDigitPixels(pad);
    if (pixels === null) return;
    const img = new ImageData(8, 8);
    pixels.forEach((v, i) => {
      const g = Math.round((v / 16) * 255);
      img.data.set([g, g, g, 255], i * 4);
    });
    small.getContext('2d')!.putImageData(img, 0, 0);
    if (trained) void classify(pixels);
  });

  const classify = async (pixels: number[]) => {
    const probs = await run.request('classify', pixels);
    const best = probs.indexOf(Math.max(...probs));
    root.dataset.guess = String(best);
    guess.innerHTML = `It looks like a <b>${best}</b> (${(100 * probs[best]!).toFixed(1)}%).`;
    probsBox.innerHTML = probs
      .map(
        (p, d) =>
          `<span>${d}</span><div class="bar" style="width:${(100 * p).toFixed(1)}%"></div><span>${(100 * p).toFixed(1)}%</span>`,
      )
      .join('');
  };
}
