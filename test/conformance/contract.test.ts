// The TS↔C kernel contract: the builds export nabla.h's op tables and scalar layouts, and nabla refuses a build whose tables differ from its own, saying what differs.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { NablaError } from '../../src/errors.js';
import {
  ABI_VERSION,
  SCALARS,
  UNARY_KERNELS,
  checkContract,
  contractDifferences,
  expectedContract,
} from '../../src/backend/fast/contract.js';
import { checkWasmContract } from '../../src/backend/wasm/index.js';
import type { WasmKernelExports } from '../../src/backend/wasm/engine.js';
import { WA, type WasmMemory } from '../../src/backend/wasm/webassembly.js';
import { checkAddon, nativeAddonPath } from '../../src/node/native.js';

const good = expectedContract();

/** The contract with one section's value replaced. */
function withSection(key: string, value: string): string {
  const out = good.replace(new RegExp(`(^|;)${key}=[^;]*`), `$1${key}=${value}`);
  expect(out).not.toBe(good);
  return out;
}
const list = (xs: readonly string[]) => xs.map((x) => `${x},`).join('');

/** A fake wasm module: its memory holds `contract` at address 64. */
function fakeWasm(contract: string | null): [WasmKernelExports, WasmMemory] {
  const buffer = new ArrayBuffer(4096);
  const bytes = new Uint8Array(buffer);
  if (contract !== null)
    for (let i = 0; i < contract.length; i++) bytes[64 + i] = contract.charCodeAt(i);
  const memory: WasmMemory = { buffer, grow: () => 0 };
  const x = {
    nb_wasm_abi: () => 5,
    ...(contract === null ? {} : { nb_wasm_contract: () => 64 }),
  } as unknown as WasmKernelExports;
  return [x, memory];
}

describe('kernel contract', () => {
  it("is nabla.h's NB_CONTRACT format, with erf among the unary kernels", () => {
    expect(good).toMatch(/^abi=\d+;meta=ints:128,doubles:16,maxdim:8,xcopy:64,;unary=copy,/);
    expect(good).toContain(`;unary=${list(UNARY_KERNELS)};`);
    expect(good).toContain('erf,');
    expect(good).toContain(`;sgd=${list(SCALARS.sgd)};`);
    expect(contractDifferences(good)).toEqual([]);
  });

  it('the committed wasm build and the native addon (where built) export the same contract', async () => {
    const bytes = await readFile(new URL('../../kernels/build/nabla.wasm', import.meta.url));
    const instance = await WA.instantiate(await WA.compile(bytes), {});
    const x = instance.exports as unknown as WasmKernelExports;
    const memory = x.memory!;
    expect(() => checkWasmContract(x, memory)).not.toThrow();
    const addon = ((): { contract?: unknown } | null => {
      try {
        return createRequire(import.meta.url)(nativeAddonPath()) as { contract?: unknown };
      } catch {
        return null; // not built here: the wasm check above still ran
      }
    })();
    if (process.env.NABLA_REQUIRE_NATIVE === '1') expect(addon).not.toBeNull();
    if (addon !== null) expect(addon.contract).toBe(good);
  });

  it('a build without the erf kernel is refused, naming the kernel', () => {
    const unary = list(UNARY_KERNELS.filter((k) => k !== 'erf'));
    const diffs = contractDifferences(withSection('unary', unary));
    expect(diffs).toEqual([
      `unary kernels: #${UNARY_KERNELS.indexOf('erf')} is nothing in the build but 'erf' in nabla`,
    ]);
  });

  it('the native addon: a wrong table or no contract is a clear error', () => {
    const swapped = withSection('sgd', 'momentum,weightDecay,lr,dampening,');
    const call = () => checkAddon({ contract: swapped }, '/x/nabla.node');
    expect(call).toThrow(NablaError);
    expect(call).toThrow(
      "the native addon /x/nabla.node does not match this nabla's kernel tables: sgd scalars: #0 is 'momentum' in the build but 'lr' in nabla; #2 is 'lr' in the build but 'momentum' in nabla. Run npm run build:native.",
    );
    expect(() => checkAddon({}, '/x/nabla.node')).toThrow(
      /the native addon \/x\/nabla\.node exports no kernel contract \(built by a nabla older than ABI \d+\): Run npm run build:native/,
    );
    expect(() => checkAddon({ contract: good }, '/x/nabla.node')).not.toThrow();
  });

  it('a wasm module: a wrong ABI, a missing section or an old module is a clear error', () => {
    const [x, memory] = fakeWasm(withSection('abi', '4').replace(';adam=', ';adamw='));
    const call = () => checkWasmContract(x, memory);
    expect(call).toThrow(NablaError);
    expect(call).toThrow(
      `the wasm kernel module does not match this nabla's kernel tables: ABI version: #0 is '4' in the build but '${ABI_VERSION}' in nabla. adam scalars: missing from the build. 'adamw': unknown to this nabla. Rebuild kernels/build with scripts/build-wasm.sh (or reinstall nabla).`,
    );
    const [old, oldMemory] = fakeWasm(null);
    expect(() => checkWasmContract(old, oldMemory)).toThrow(/exports no kernel contract/);
    const [ok, okMemory] = fakeWasm(good);
    expect(() => checkWasmContract(ok, okMemory)).not.toThrow();
  });

  it('checkContract lists at most three differences per section', () => {
    const reversed = list([...UNARY_KERNELS].reverse());
    expect(() => checkContract('a build', withSection('unary', reversed), 'Fix it.')).toThrow(
      /unary kernels: #0 is 'erf' in the build but 'copy' in nabla; .*; .* \(and \d+ more\)\. Fix it\.$/,
    );
  });
});
