// Layering of DESIGN.md: a package imports only packages below it.
//   cli > node > client > core > crypto
// and no import cycles anywhere.
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
module.exports = {
  forbidden: [{ name: 'no-circular', severity: 'error', from: {}, to: { circular: true } }, ...upward],
  options: {
    doNotFollow: { path: ['node_modules', '(^|/)dist/'] },
    tsConfig: { fileName: 'tsconfig.base.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
  },
};
