// The layers of src/, bottom to top; a folder may import only from folders below it (and its own).
//   model, gen                          pure domain code and generated protobuf types
//   install                             where the package's files are (root, proto, helpers)
//   dataplane, plugin, temporal, report, local, metrics
//   endpoint-plugins                    (uses dataplane)
//   activities, workflows               (workflows import activity *types* only)
//   workers, k8s
//   cli
// `npm run check:deps` (part of `npm run lint`) fails on any import that goes up, and on cycles.
const layer = (folders) => `^src/(${folders.join('|')})/`;
const above = {
  model: ['install', 'dataplane', 'plugin', 'temporal', 'report', 'local', 'metrics', 'endpoint-plugins', 'activities', 'workflows', 'workers', 'k8s', 'cli'],
  gen: ['model', 'install', 'dataplane', 'plugin', 'temporal', 'report', 'local', 'metrics', 'endpoint-plugins', 'activities', 'workflows', 'workers', 'k8s', 'cli'],
  install: ['model', 'gen', 'dataplane', 'plugin', 'temporal', 'report', 'local', 'metrics', 'endpoint-plugins', 'activities', 'workflows', 'workers', 'k8s', 'cli'],
  'dataplane|plugin|temporal|report|local|metrics': ['endpoint-plugins', 'activities', 'workflows', 'workers', 'k8s', 'cli'],
  'endpoint-plugins': ['activities', 'workflows', 'workers', 'k8s', 'cli'],
  activities: ['workflows', 'workers', 'k8s', 'cli'],
  workflows: ['workers', 'k8s', 'cli'],
  'workers|k8s': ['cli'],
};

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle between modules means two layers that cannot be understood (or tested) apart.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...Object.entries(above).map(([from, to]) => ({
      name: `no-upward-import-from-${from.replace(/\|/g, '-')}`,
      severity: 'error',
      comment: `src/${from} sits below ${to.join(', ')}: it must not import from them.`,
      from: { path: `^src/(${from})/` },
      to: { path: layer(to) },
    })),
    {
      name: 'workflows-import-activity-types-only',
      severity: 'error',
      comment: 'Workflow code reaches activities through proxyActivities; only their types may be imported.',
      from: { path: '^src/workflows/' },
      to: { path: '^src/activities/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^src/gen/' },
  },
};
