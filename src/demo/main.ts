// The `nabla demo` page: three panels (the seed lesson, the trouble lab, digits) on nabla's browser entry, training in module workers.
import { ready } from '../entry/browser.js';
import { digitsPanel } from './digits_panel.js';
import { TrainerWorker } from '../entry/worker.js';
import type { DemoConfig, DigitsRequests } from './protocol.js';
import { seedLesson } from './seed_lesson.js';
import { troubleLab } from './trouble.js';

const tabs = [...document.querySelectorAll<HTMLButtonElement>('nav button[data-tab]')];
const show = (name: string) => {
  for (const t of tabs) {
    t.setAttribute('aria-selected', String(t.dataset.tab === name));
    document.getElementById(t.dataset.tab!)!.hidden = t.dataset.tab !== name;
  }
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
};
for (const t of tabs) t.addEventListener('click', () => show(t.dataset.tab!));
show(tabs.some((t) => `#${t.dataset.tab}` === location.hash) ? location.hash.slice(1) : 'seed');

const dataUrl = new URL('data/digits.csv.gz', location.href).href;
/** One worker per panel, so that the digits train while the trouble lab runs. */
const worker = () =>
  new TrainerWorker<DemoConfig, DigitsRequests>(
    new Worker(new URL('worker.js', import.meta.url), { type: 'module' }),
  );

const backend = await ready();
document.getElementById('backend')!.textContent = `backend: ${backend}`;
seedLesson(document.getElementById('seed')!);
troubleLab(document.getElementById('trouble')!, worker(), dataUrl);
digitsPanel(document.getElementById('digits')!, worker(), dataUrl);
document.body.dataset.ready = 'yes';
