// Profiles one workload on one nabla backend with V8's CPU profiler and prints where the time goes.
//
//   npm run bench:profile -- mlp [native] [seconds]     (workloads: sgemm-256, mlp, cnn, seed, relu, ...)
//   npm run bench:profile -- --summarize file.cpuprofile
//
// The profiler is the one behind `node --cpu-prof`, started through node:inspector after a warm-up;
// positions are mapped back to the .ts sources (tsx's output is one line per file). It prints self
// time per function, self time per source file, and time including callees.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { findSourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadFastBackends, setBackend } from '../src/node.js';
import { WORKLOADS } from './workloads/index.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
    readonly columnNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function jsName(n: ProfileNode): string {
  const f = n.callFrame;
  const file = f.url === '' ? '' : ` ${basename(f.url)}:${f.lineNumber + 1}`;
  return `${f.functionName === '' ? '(anonymous)' : f.functionName}${file}`;
}

/** A frame's name; a nameless frame without a script is C++ (the addon's kernels, V8 builtins). */
function frameName(n: ProfileNode, parent: ProfileNode | undefined): string {
  const f = n.callFrame;
  if (f.url === '' && f.functionName === '') {
    return `(C++) under ${parent === undefined ? '?' : jsName(parent)}`;
  }
  return jsName(n);
}

function fileName(n: ProfileNode): string {
  const f = n.callFrame;
  if (f.url !== '') return basename(f.url);
  return f.functionName === '' ? '(C++: native addon, V8 builtins)' : f.functionName;
}

/** Self and inclusive milliseconds per function, self per file; the top `top` of each. */
export function summarize(
  profile: CpuProfile,
  top = Number(process.env.PROFILE_TOP ?? 25),
): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const up = (id: number) => {
    const p = parent.get(id);
    return p === undefined ? undefined : byId.get(p);
  };
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  let idle = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    const leaf = byId.get(profile.samples[i]!)!;
    total += dt;
    if (leaf.callFrame.functionName === '(idle)') idle += dt;
    add(self, frameName(leaf, up(leaf.id)), dt);
    add(files, fileName(leaf), dt);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const k = frameName(byId.get(id)!, up(id));
      if (!seen.has(k)) add(incl, k, dt);
      seen.add(k);
    }
  }
  const table = (title: string, m: Map<string, number>) => {
    const rows = [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
    return [
      title,
      ...rows.map(
        ([k, v]) =>
          `${v.toFixed(0).padStart(8)} ms ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`,
      ),
    ].join('\n');
  };
  return [
    `profile: ${total.toFixed(0)} ms sampled, ${idle.toFixed(0)} ms idle`,
    table('self time by function:', self),
    table('self time by file:', files),
    table('time including callees:', incl),
  ].join('\n\n');
}

/** Maps each frame's position in tsx's generated code back to the TypeScript source. */
function mapToSources(profile: CpuProfile): CpuProfile {
  const nodes = profile.nodes.map((n) => {
    const f = n.callFrame;
    if (!f.url.startsWith('file:')) return n;
    const entry = findSourceMap(f.url)?.findEntry(f.lineNumber, f.columnNumber);
    if (entry === undefined || !('originalLine' in entry)) return n;
    return {
      ...n,
      callFrame: {
        ...f,
        url: entry.originalSource,
        lineNumber: entry.originalLine,
        columnNumber: entry.originalColumn,
      },
    };
  });
  return { ...profile, nodes };
}

async function profileWorkload(id: string, backend: string, seconds: number): Promise<CpuProfile> {
  await loadFastBackends({ quiet: true });
  setBackend(backend);
  const w = WORKLOADS.find((x) => x.id === id);
  if (w === undefined) throw new Error(`unknown workload ${id}`);
  const r = w.nabla('as-written');
  const loop = (s: number) => {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < s * 1000) {
      r.step();
      n++;
    }
    return [n, performance.now() - t0] as const;
  };
  loop(2); // warm-up (V8 takes 1.5-3 s to optimise the step), not profiled
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const [n, ms] = loop(seconds);
  const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
  session.disconnect();
  r.dispose?.();
  console.log(`${id} on ${backend}: ${n} steps, ${(ms / n).toFixed(3)} ms per step`);
  return mapToSources(profile);
}

const argv = process.argv.slice(2);
if (argv[0] === '--summarize') {
  console.log(summarize(JSON.parse(readFileSync(argv[1]!, 'utf8')) as CpuProfile));
} else {
  const [id = 'mlp', backend = 'native', seconds = '5'] = argv;
  const profile = await profileWorkload(id, backend, Number(seconds));
  const file = join(mkdtempSync(join(tmpdir(), 'nabla-prof-')), `${id}-${backend}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.log(`${file} (open in Chrome DevTools' Performance panel)\n`);
  console.log(summarize(profile));
}
