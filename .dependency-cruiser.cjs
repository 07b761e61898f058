// Layering of DESIGN.md: a package imports only packages below it.
//   cli > node > client > core > crypto
// and no import cycles anywhere. Inside the node, HTTP is an edge: domain folders throw
// LedgerError and never import `api/` (only api/errors.ts maps codes to statuses).
const layers = ['crypto', 'core', 'client', 'node', 'cli'];
const upward = layers.flatMap((pkg, i) => {
  const above = layers.slice(i + 1);
  if (above.length === 0) return [];
  const re = above.join('|');
  return [
    {
      name: `no-upward-from-${pkg}`,
      comment: `${pkg} may import only ${layers.slice(0, i).join(', ') || 'nothing of ours'}`,
      severity: 'error',
      from: { path: `^packages/${pkg}/` },
      to: { path: `^(packages/(${re})/|(node_modules/)?@medledger/(${re})(/|$))` },
    },
  ];
});
// The node's composition roots, which build the server from api/ and the domain services:
// the package index (re-exports), runtime.ts (`startRuntime`) and the federated-learning demo
// that serves the fl routes on its own (fl/demo.ts).
const nodeRoots = '^packages/node/src/(index|runtime|fl/demo)\\.ts$';
const domainNoApi = {
  name: 'node-domain-not-api',
  comment:
    'node domain folders throw LedgerError and do not import api/ (HttpError, server types, routes); ' +
    'only api/ and the composition roots do',
  severity: 'error',
  from: { path: '^packages/node/src/', pathNot: ['^packages/node/src/api/', nodeRoots] },
  to: { path: '^packages/node/src/api/' },
};
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    ...upward,
    domainNoApi,
  ],
  options: {
    doNotFollow: { path: ['node_modules', '(^|/)dist/'] },
    tsConfig: { fileName: 'tsconfig.base.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
  },
};
