// Lets a child `node` process run the project's TypeScript sources directly (the same swc
// transform jest uses), so a test can start a real agent worker process and SIGKILL it.
'use strict';
const fs = require('node:fs');
const swc = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    module: { type: 'commonjs' },
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  });
  module._compile(code, filename);
};
