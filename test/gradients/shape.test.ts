// Gradients tier: float64 gradcheck of views, movement, joining and splitting, and padding.
import { describe, it } from 'vitest';
import * as nb from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { check, gen, rn } from './helpers.js';

// Every case multiplies by a fixed weight at the end so that the Jacobian is not a plain 0/1 pattern.
function weighted(y: Tensor): Tensor {
  const w = nb.arange(y.numel(), { dtype: 'float64' }).add(1).reshape(y.shape);
  return y.mul(w);
}

describe('views', () => {
  type Case = [string, (x: Tensor) => Tensor | readonly Tensor[]];
  const cases: Case[] = [
    ['reshape', (x) => x.reshape(4, 6)],
    ['reshape -1', (x) => nb.reshape(x, [-1, 3])],
    ['reshape of a transpose (copy)', (x) => x.transpose(0, 2).reshape(-1)],
    ['view', (x) => x.view(6, 4)],
    ['view list', (x) => x.view([2, 12])],
    [
      'viewAs / reshapeAs',
      (x) => x.viewAs(nb.zeros([4, 6])).add(x.reshapeAs(nb.zeros([24])).view(4, 6)),
    ],
    ['flatten', (x) => x.flatten()],
    ['flatten(1)', (x) => nb.flatten(x, 1)],
    ['flatten(0, 1)', (x) => x.flatten(0, 1)],
    ['unflatten', (x) => x.unflatten(2, [2, 2])],
    ['squeeze all', (x) => x.reshape(2, 1, 3, 1, 4).squeeze()],
    ['squeeze dim', (x) => x.reshape(2, 1, 3, 1, 4).squeeze(3)],
    ['squeeze dims', (x) => nb.squeeze(x.reshape(2, 1, 3, 1, 4), [1, 3])],
    ['unsqueeze', (x) => x.unsqueeze(1)],
    ['unsqueeze -1', (x) => nb.unsqueeze(x, -1)],
    ['transpose', (x) => x.transpose(0, 2)],
    ['transpose negative dims', (x) => nb.transpose(x, -1, -2)],
    ['permute', (x) => x.permute(2, 0, 1)],
    ['permute list', (x) => nb.permute(x, [1, 2, 0])],
    ['t', (x) => x.reshape(4, 6).t()],
    ['functional t', (x) => nb.t(x.reshape(6, 4))],
    ['T', (x) => x.T],
    ['mT', (x) => x.mT],
    ['expand', (x) => x.select(1, 0).unsqueeze(1).expand(2, 3, 4)],
    ['expand new leading dims', (x) => x.select(0, 1).expand(2, -1, -1)],
    ['expandAs', (x) => x.sum(0, true).expandAs(x)],
    ['functional expand', (x) => nb.expand(x.reshape(2, 1, 3, 4), [2, 2, 3, 4])],
    ['contiguous of a transpose', (x) => x.transpose(0, 1).contiguous()],
    ['functional contiguous', (x) => nb.contiguous(x.permute(2, 1, 0))],
    ['clone', (x) => x.clone()],
    ['clone of a view', (x) => nb.clone(x.transpose(1, 2))],
    ['narrow', (x) => x.narrow(2, 1, 2)],
    ['narrow negative start', (x) => nb.narrow(x, 1, -2, 2)],
    ['slice', (x) => x.slice(2, 1, 3)],
    ['slice with step', (x) => x.slice(2, 0, 4, 2)],
    ['slice with step and negative start', (x) => x.slice(1, -3, null, 2)],
    ['select', (x) => x.select(1, 2)],
    ['select negative', (x) => nb.select(x, 0, -1)],
    ['chained views', (x) => x.permute(1, 0, 2).slice(0, 0, 3, 2).select(2, 3).t()],
  ];
  it.each(cases)('%s', (_name, fn) => {
    const x = rn([2, 3, 4], gen());
    check(
      (a) => {
        const y = fn(a);
        return Array.isArray(y) ? (y as Tensor[]).map(weighted) : weighted(y as Tensor);
      },
      [x],
    );
  });
});

describe('movement and copies', () => {
  it('flip', () => {
    const x = rn([2, 3, 4], gen());
    check((a) => weighted(a.flip(0)), [x]);
    check((a) => weighted(a.flip([1, 2])), [x]);
    check((a) => weighted(nb.flip(a.t(), -1)), [rn([3, 4], gen())]);
  });

  it('repeat', () => {
    const x = rn([2, 3], gen());
    check((a) => weighted(a.repeat(2, 1)), [x]);
    check((a) => weighted(a.repeat(2, 3, 2)), [x]);
    check((a) => weighted(nb.repeat(a.t(), [1, 2])), [x]);
  });

  it('pad: constant (including negative, cropping, pads)', () => {
    const x = rn([2, 3, 4], gen());
    check((a) => weighted(nb.pad(a, [1, 2])), [x]);
    check((a) => weighted(nb.pad(a, [1, 0, 0, 2], { value: 1.5 })), [x]);
    check((a) => weighted(nb.pad(a, [1, 1, 1, 1, 1, 1])), [x]);
    check((a) => weighted(nb.pad(a, [-1, 2, 1, -1])), [x]);
    check((a) => weighted(nb.pad(a.transpose(1, 2), [2, 1])), [x]);
  });

  it.each(['reflect', 'replicate', 'circular'] as const)('pad: %s', (mode) => {
    const x = rn([2, 3, 4], gen());
    check((a) => weighted(nb.pad(a, [2, 1], { mode })), [x]);
    check((a) => weighted(nb.pad(a, [1, 2, 2, 1], { mode })), [x]);
    check((a) => weighted(nb.pad(a.permute(0, 2, 1), [0, 2], { mode })), [x]);
  });

  it('cat', () => {
    const g = gen();
    const a = rn([2, 3], g);
    const b = rn([1, 3], g);
    const c = rn([2, 2], g);
    check((x, y) => weighted(nb.cat([x, y], 0)), [a, b]);
    check((x, y) => weighted(nb.cat([x, y, x], 0)), [a, b]);
    check((x, z) => weighted(nb.cat([x, z], 1)), [a, c]);
    check((x, z) => weighted(nb.cat([z.t(), x.t()], -2)), [a, c]);
    // one operand without grad
    check((x) => weighted(nb.cat([x, b.detach()], 0)), [a]);
  });

  it('stack', () => {
    const g = gen();
    const a = rn([2, 3], g);
    const b = rn([2, 3], g);
    check((x, y) => weighted(nb.stack([x, y])), [a, b]);
    check((x, y) => weighted(nb.stack([x, y, x], 1)), [a, b]);
    check((x, y) => weighted(nb.stack([x.t(), y.t()], -1)), [a, b]);
  });

  it('split and chunk (several outputs)', () => {
    const x = rn([5, 4], gen());
    check((a) => a.split(2).map(weighted), [x]);
    check((a) => a.split([1, 3], 1).map(weighted), [x]);
    check((a) => nb.split(a.t(), [3, 2], 1).map(weighted), [x]);
    check((a) => a.chunk(3).map(weighted), [x]);
    check((a) => nb.chunk(a, 2, 1).map(weighted), [x]);
    // only one of the pieces used
    check((a) => weighted(a.chunk(2)[1]!), [x]);
  });
});
