// Drives bench/torch_bench.py: one Python process per PyTorch configuration, answering per workload.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Measurement } from './harness.js';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./torch_bench.py', import.meta.url));

/** One PyTorch configuration: its thread count and OpenBLAS environment. */
export interface TorchConfig {
  readonly label: string;
  readonly threads: number;
  readonly env: NodeJS.ProcessEnv;
}

/** What a server says of itself when it starts. */
export interface TorchInfo {
  readonly torch: string;
  readonly threads: number;
  readonly openblas_coretype: string | null;
  /** The kernel set OpenBLAS runs with (openblas_get_corename). */
  readonly openblas_core: string | null;
}

/** True when `python3 -c 'import torch'` works. */
export function torchAvailable(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
  return r.status === 0;
}

/**
 * The configurations a user would try: 1 and 2 threads, each with OPENBLAS_CORETYPE as the machine
 * sets it and with it unset (OPENBLAS_L2_SIZE unset too in that variant), and each of those with
 * OpenBLAS's own thread pool as it comes and with OPENBLAS_NUM_THREADS=1. Debian's OpenBLAS starts
 * one thread per core beside PyTorch's threads; on 2 cores that oversubscription more than doubles
 * the MLP step (4.3 ms against 1.6 ms with OPENBLAS_NUM_THREADS=1), so PyTorch's best needs both.
 * When this process's environment does not set OPENBLAS_CORETYPE, `machineCoreType` stands for
 * the machine's value.
 */
export function torchConfigs(machineCoreType: string, threads: readonly number[]): TorchConfig[] {
  const inherited = process.env.OPENBLAS_CORETYPE;
  const unset: NodeJS.ProcessEnv = { ...process.env };
  delete unset.OPENBLAS_CORETYPE;
  delete unset.OPENBLAS_L2_SIZE;
  const coreTypes: { label: string; env: NodeJS.ProcessEnv }[] = [
    {
      label: `OPENBLAS_CORETYPE=${inherited ?? machineCoreType}`,
      env:
        inherited !== undefined
          ? process.env
          : { ...process.env, OPENBLAS_CORETYPE: machineCoreType },
    },
    { label: 'OPENBLAS_CORETYPE unset', env: unset },
  ];
  const blasThreads = [
    { label: '', env: {} },
    { label: ', OPENBLAS_NUM_THREADS=1', env: { OPENBLAS_NUM_THREADS: '1' } },
  ];
  return threads.flatMap((t) =>
    blasThreads.flatMap((b) =>
      coreTypes.map((v) => ({
        label: `set_num_threads(${t}), ${v.label}${b.label}`,
        threads: t,
        env: { ...v.env, ...b.env },
      })),
    ),
  );
}

/** A running torch_bench.py --serve process. */
export class TorchServer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterableIterator<string>;
  #stderr = '';

  private constructor(
    readonly config: TorchConfig,
    child: ChildProcessWithoutNullStreams,
  ) {
    this.#child = child;
    this.#lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stderr.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-2000);
    });
  }

  static async start(config: TorchConfig): Promise<{ server: TorchServer; info: TorchInfo }> {
    const child = spawn(PYTHON, [SCRIPT, '--serve', '--threads', String(config.threads)], {
      env: config.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const server = new TorchServer(config, child);
    const info = (await server.#read()) as TorchInfo;
    return { server, info };
  }

  async #read(): Promise<unknown> {
    const r = await this.#lines.next();
    if (r.done === true) throw new Error(`torch_bench.py exited: ${this.#stderr.trim()}`);
    return JSON.parse(r.value) as unknown;
  }

  async run(workload: string, budget: number, warmup: number): Promise<Measurement> {
    try {
      this.#child.stdin.write(JSON.stringify({ workload, budget, warmup }) + '\n');
      return (await this.#read()) as Measurement;
    } catch (e) {
      return { ok: false, reason: e instanceof Error ? e.message : String(e) };
    }
  }

  close(): void {
    this.#child.stdin.end();
  }
}
