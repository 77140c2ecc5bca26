// nabla/worker in Node's worker_threads: a worker serves a Trainer (test/helpers/train_worker.ts), streams its steps and health, and its losses and weights equal the same training run on the main thread; weights go both ways as safetensors bytes; errors reject with the worker's message.
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nabla from '../../src/index.js';
import { loadFastBackends } from '../../src/node/backends.js';
import { TrainerWorker, type HealthEvent, type TrainerInfo } from '../../src/worker/index.js';
import type { StepEvent } from '../../src/train/index.js';
import { seedRun } from '../helpers/seed.js';
import { tsWorker } from '../helpers/ts_worker.js';
import {
  workerTrainer,
  type WorkerRequests,
  type WorkerTrainerConfig,
} from '../helpers/worker_trainer.js';

const SCRIPT = new URL('../helpers/train_worker.ts', import.meta.url);

let run: TrainerWorker<WorkerTrainerConfig, WorkerRequests>;
let backend = '';

beforeAll(async () => {
  run = new TrainerWorker<WorkerTrainerConfig, WorkerRequests>(tsWorker(SCRIPT));
  backend = await run.ready();
  // The main thread's backends, loaded as the worker's 'nabla' entry loads them.
  await loadFastBackends({ quiet: true });
}, 60_000);

afterAll(async () => {
  await run?.terminate();
  nabla.setBackend('cpu');
});

/** The same config trained on the main thread, on the worker's backend. */
async function mainThread(config: WorkerTrainerConfig) {
  const { trainer } = workerTrainer(nabla, { ...config, backend });
  try {
    const result = await trainer.fit();
    return {
      result,
      weights: nabla.io.serialize(trainer.model.stateDict(), { metadata: { format: 'pt' } }),
    };
  } finally {
    nabla.setBackend('cpu');
  }
}

/** The tensors of safetensors bytes as nested arrays, by name. */
function tensorsOf(bytes: Uint8Array): Record<string, unknown> {
  const { tensors } = nabla.io.deserialize(bytes, { device: 'cpu' });
  return Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.tolist()]));
}

describe('nabla/worker on worker_threads', () => {
  it("the worker serves once its backend is loaded: the 'nabla' entry's default", () => {
    expect(['native', 'wasm']).toContain(backend);
  });

  it('streams steps and health, and trains as the main thread does (losses and weights)', async () => {
    const config: WorkerTrainerConfig = { epochs: 2, samples: 64, healthEvery: 2 };
    const steps: StepEvent[] = [];
    const health: HealthEvent[] = [];
    const epochs: number[] = [];
    const offs = [
      run.on('step', (e) => steps.push(e)),
      run.on('health', (e) => health.push(e)),
      run.on('epochEnd', (e) => epochs.push(e.metrics.epoch)),
    ];
    const info: TrainerInfo = await run.build(config);
    expect(info).toMatchObject({ backend, epochs: 2, batchesPerEpoch: 4, maxSteps: 8 });
    expect(info.healthEvery).toBe(2);
    expect(info.summary).toContain('Linear(in_features=8, out_features=32, bias=True)');
    const result = await run.fit();
    offs.forEach((off) => off());
    const bytes = await run.getWeights();

    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(steps.map((s) => s.loss)).toEqual(result.stepLosses);
    expect(epochs).toEqual([1, 2]);
    // A record at steps 0, 2, 4, 6 (0-based), each with the five layers in forward order.
    expect(health.map((h) => h.step)).toEqual([1, 3, 5, 7]);
    expect(health[0]!.layers.map((l) => `${l.name} ${l.type}`)).toEqual([
      '0 Linear',
      '1 ReLU',
      '2 Linear',
      '3 ReLU',
      '4 Linear',
    ]);
    for (const h of health) {
      expect(h.layers[0]!.gradNorm).toBeGreaterThan(0);
      expect(h.layers[1]!.actMean).toBeGreaterThan(0);
      expect(Array.isArray(h.diagnoses)).toBe(true);
    }

    const ref = await mainThread(config);
    expect(result.stepLosses).toEqual(ref.result.stepLosses);
    expect(result.metrics.map((m) => m.trainAccuracy)).toEqual(
      ref.result.metrics.map((m) => m.trainAccuracy),
    );
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(tensorsOf(bytes)).toEqual(tensorsOf(ref.weights));
    expect(bytes).toEqual(ref.weights);
  });

  it('the seed network on cpu: the losses of the hand-written loop', async () => {
    await run.build({ model: 'seed', backend: 'cpu', epochs: 5 });
    const result = await run.fit();
    nabla.setBackend('cpu');
    expect(result.stepLosses).toEqual(seedRun(5).losses);
  });

  it('setWeights loads bytes into the worker, and getWeights gives them back', async () => {
    await run.build({ seed: 1 });
    await run.fit({ untilStep: 3 });
    const trained = await run.getWeights();
    await run.build({ seed: 2 });
    const fresh = await run.getWeights();
    expect(tensorsOf(fresh)).not.toEqual(tensorsOf(trained));
    await run.setWeights(trained);
    expect(await run.getWeights()).toEqual(trained);
    // The main thread's weights, loaded in the worker (bytes made here).
    const { trainer } = workerTrainer(nabla, { seed: 3, backend: 'cpu' });
    nabla.setBackend('cpu');
    const mine = nabla.io.serialize(trainer.model.stateDict());
    await run.setWeights(mine.buffer as ArrayBuffer);
    expect(tensorsOf(await run.getWeights())).toEqual(tensorsOf(mine));
  });

  it('a wrong state dict rejects with the message of loadStateDict', async () => {
    await run.build({ hidden: 16 });
    const other = workerTrainer(nabla, { hidden: 4, backend: 'cpu' }).trainer.model;
    nabla.setBackend('cpu');
    const p = run.setWeights(nabla.io.serialize(other.stateDict()));
    await expect(p).rejects.toThrow(/size mismatch for 0\.weight/);
    await expect(p).rejects.toMatchObject({ name: 'StateDictError' });
  });

  it('stop() ends a running fit after its current step', async () => {
    // NOTE: long epochs: Trainer yields to the event loop (where stop arrives) only inside an epoch.
    await run.build({ epochs: 100, samples: 2048, batchSize: 4 });
    let stopping: Promise<void> | undefined;
    const off = run.on('step', (e) => {
      if (e.step === 3) stopping ??= run.stop();
    });
    const result = await run.fit();
    await stopping;
    off();
    expect(result.interrupted).toBe(true);
    expect(result.steps).toBeGreaterThanOrEqual(3);
    expect(result.steps).toBeLessThan(512);
    // It goes on from there.
    const more = await run.fit({ untilStep: result.steps + 2 });
    expect(more.steps).toBe(result.steps + 2);
  });

  it('a stop() sent before its fit() has begun ends that fit with no step', async () => {
    // The fit request waits in the worker for the factory (200 ms); the stop arrives meanwhile.
    const building = run.build({ epochs: 50, delayMs: 200 });
    const fitting = run.fit();
    await run.stop();
    await building;
    const result = await fitting;
    expect(result).toMatchObject({ interrupted: true, steps: 0, stepLosses: [] });
    // A fit() asked for after the stop is not stopped by it.
    await expect(run.fit({ untilStep: 2 })).resolves.toMatchObject({ steps: 2 });
  });

  it("serves the factory's requests between fits, and rejects an unknown one", async () => {
    await run.build({ epochs: 3, samples: 128, backend: 'cpu' });
    await run.fit();
    const bytes = await run.getWeights();
    const rows = [
      [2, 2, 0, 0, 0, 0, 0, 0],
      [-2, -2, 0, 0, 0, 0, 0, 0],
    ];
    const answer = await run.request('predict', rows);
    // The same weights here give the same classes.
    const { trainer } = workerTrainer(nabla, { backend: 'cpu' });
    trainer.model.loadStateDict(new Map(Object.entries(nabla.io.deserialize(bytes).tensors)));
    trainer.model.eval();
    const here = nabla.noGrad(() => trainer.model.forward(nabla.tensor(rows)).argmax(1).tolist());
    expect(answer).toEqual(here);
    expect(answer).toEqual([1, 0]);
    await expect(run.request('classify' as 'predict', rows)).rejects.toThrow(
      "TrainerWorker.request(): the worker serves no request 'classify' (it serves predict)",
    );
    await run.build({ model: 'seed', backend: 'cpu' });
    await expect(run.request('predict', rows)).rejects.toThrow(
      /serves no request 'predict' \(it serves none\)/,
    );
  });

  it("errors in the worker reject with the worker's message, and the worker serves on", async () => {
    await expect(run.build({ fail: 'no such model' })).rejects.toMatchObject({
      name: 'ArgumentError',
      message: 'no such model',
    });
    await run.build({ inputWidth: 5 });
    await expect(run.fit()).rejects.toThrow(
      'mat1 and mat2 shapes cannot be multiplied (16x5 and 8x32)',
    );
    await expect(run.build({ epochs: 1, samples: 16 })).resolves.toMatchObject({ maxSteps: 1 });
    await expect(run.fit()).resolves.toMatchObject({ steps: 1 });
  });

  it("a worker that fails before it serves rejects every call with the worker's message", async () => {
    const broken = new TrainerWorker(
      new Worker('throw new Error("the script is broken")', { eval: true }),
    );
    await expect(broken.ready()).rejects.toThrow('the worker failed: the script is broken');
    await expect(broken.fit()).rejects.toThrow('the script is broken');
    await broken.terminate();
  });

  it('refuses unknown events and options', () => {
    expect(() => run.on('afterBackward' as 'step', () => {})).toThrow(/unknown event/);
    expect(() => run.fit({ untilStp: 3 } as never)).toThrow(/untilStp/);
  });
});
