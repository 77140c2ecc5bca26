// Import rules for src/ (docs/design.md, "Layers"), checked by `npm run lint`.
//
// Layers, lowest first; each imports only those below it (type-only imports are free: they
// vanish at compile time):
//   base      src/{dtype,shape,errors,options,primitives,math,random,format,tensor_class}.ts
//   backend   src/backend/
//   memory    src/memory.ts (storage, tensor lifetimes, scopes)
//   autograd  src/autograd/{node,op_node,grad_mode,anomaly,traverse,engine}.ts (graph and engine)
//   ops       src/ops/ (op definitions, apply(), the primitive-call layer)
//   API       everything else: tensor.ts, functions/, nn/, optim/, data/, train/, io/,
//             diagnostics/, autograd's user-facing function.ts and gradcheck.ts, node/, cli/, entry/

import { builtinModules } from 'node:module';

const BASE = '^src/(dtype|shape|errors|options|primitives|math|random|format|tensor_class)[.]ts$';
const BACKEND = '^src/backend/';
const MEMORY = '^src/memory[.]ts$';
const AUTOGRAD = '^src/autograd/(node|op_node|grad_mode|anomaly|traverse|engine)[.]ts$';
const OPS = '^src/ops/';
const any = (...res) => res.map((r) => `(${r})`).join('|');
const value = { dependencyTypesNot: ['type-only'] };
const NODE_BUILTIN = `^(node:)?(${builtinModules.join('|')})$`;
const NODE_ALLOWED = '^src/(node/|cli/|data/node/|entry/node[.]ts$|entry/index[.]ts$)';

/** A layer imports values only from itself and the layers below it. */
const layer = (name, from, ...allowed) => ({
  name: `layer-${name}`,
  comment: `${name} imports (values) only from: ${allowed.join(', ')}`,
  severity: 'error',
  from: { path: from },
  to: { path: '^src/', pathNot: any(...allowed), ...value },
});

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'no value-import cycles in src/ (type-only imports do not count)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: value },
    },
    layer('base', BASE, BASE),
    layer('backend', BACKEND, BACKEND, BASE),
    layer('memory', MEMORY, MEMORY, BACKEND, BASE),
    layer('autograd', AUTOGRAD, AUTOGRAD, MEMORY, BACKEND, BASE),
    layer('ops', OPS, OPS, AUTOGRAD, MEMORY, BACKEND, BASE),
    {
      name: 'backward-rules-not-on-api',
      comment:
        'backward rules (src/ops/defs) use the primitive-call layer (src/ops/call.ts), never ' +
        'src/functions or tensor.ts values',
      severity: 'error',
      from: { path: '^src/ops/defs/' },
      to: { path: '^src/(functions/|tensor[.]ts$)', ...value },
    },
    {
      name: 'no-backend-internals',
      comment:
        'memory, autograd, ops and the API reach backends through the Backend interface and ' +
        'the registry (memory accounting: Backend.cacheStats/emptyCache), not one backend\u2019s ' +
        'modules; only src/node, src/entry and the public index files load or re-export the fast backends',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: any(BACKEND, '^src/node/', '^src/entry/', '^src/(index|node)[.]ts$'),
      },
      to: { path: '^src/backend/[^/]+/', ...value },
    },
    {
      name: 'node-builtins-only-in-node-modules',
      comment: `Node built-ins are imported only from ${NODE_ALLOWED}`,
      severity: 'error',
      from: { path: '^src/', pathNot: NODE_ALLOWED },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'browser-entries-free-of-node',
      comment:
        'the browser entries (src/index.ts, src/entry/browser.ts, src/entry/worker.ts) and the demo page (src/demo) reach no Node built-in',
      severity: 'error',
      from: { path: '^src/((index|entry/browser|entry/worker)[.]ts$|demo/)' },
      to: { path: NODE_BUILTIN, reachable: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '[.]d[.]ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
