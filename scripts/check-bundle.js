#!/usr/bin/env node
'use strict';
// Bundles the workflow code the way the worker does, so a workflow file that imports Node
// built-ins or anything non-deterministic fails here, in seconds, instead of at worker start.
// Usage: node scripts/check-bundle.js [entry]   (default: src/workflows/index.ts)
const { existsSync } = require('node:fs');
const { resolve } = require('node:path');

async function main() {
  const entry = resolve(process.argv[2] || resolve(__dirname, '..', 'src', 'workflows', 'index.ts'));
  if (!existsSync(entry)) {
    process.stderr.write(`check-bundle: ${entry} does not exist; the workers bundle it, so it must export the workflows\n`);
    process.exit(1);
  }
  const { bundleWorkflowCode } = require('@temporalio/worker');
  const started = Date.now();
  const quiet = () => undefined;
  const logger = {
    log: quiet, trace: quiet, debug: quiet, info: quiet,
    warn: (m) => process.stderr.write(`check-bundle: warning: ${m}\n`),
    error: (m) => process.stderr.write(`check-bundle: error: ${m}\n`),
  };
  const { code } = await bundleWorkflowCode({ workflowsPath: entry, logger });
  process.stdout.write(`check-bundle: ${entry} bundled (${Math.round(code.length / 1024)} KiB) in ${Date.now() - started} ms\n`);
}

main().catch((err) => {
  process.stderr.write(`check-bundle: FAILED to bundle the workflow code:\n${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
