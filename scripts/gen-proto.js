#!/usr/bin/env node
'use strict';
// Generates the TypeScript types of the network plugin protos into src/gen/, and of Alcor's
// goal-state protos (proto/alcor, third-party, imported by bare name) into src/gen/alcor/, with
// proto-loader-gen-types (from @grpc/proto-loader). The options here must match the runtime
// loader options in src/plugin/proto.ts, or the types would lie about the decoded messages.
// `node scripts/gen-proto.js [OUT_DIR]` (default src/gen); the unit test
// test/unit/plugin-gen.test.ts regenerates into a temporary folder and fails when src/gen is stale.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const protoDir = 'proto';
const protoFiles = ['merak/plugin/v1/network_plugin.proto', 'merak/plugin/v1/network_plugin_state.proto'];
/** Alcor's goal-state service (src/alcor/goal-state-proto.ts loads it with the same options). */
const alcorProtoDir = 'proto/alcor';
const alcorProtoFiles = ['goalstateprovisioner.proto'];
const generatorArgs = [
  '--keepCase',
  '--longs=Number',
  '--enums=String',
  '--defaults',
  '--oneofs',
  '--includeComments',
  '--grpcLib=@grpc/grpc-js',
];

/** Writes the generated types into outDir (absolute, or relative to the repository root), replacing what was there. */
function generate(outDir) {
  const out = path.resolve(root, outDir);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const bin = require.resolve('@grpc/proto-loader/build/bin/proto-loader-gen-types.js');
  // cwd = repository root so the "Original file:" headers are the same on every machine.
  execFileSync(process.execPath, [bin, ...generatorArgs, '-I', protoDir, '-O', out, ...protoFiles], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  execFileSync(process.execPath, [bin, ...generatorArgs, '-I', alcorProtoDir, '-O', path.join(out, 'alcor'), ...alcorProtoFiles], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return out;
}

module.exports = { generate, protoFiles, alcorProtoFiles };

if (require.main === module) {
  const out = generate(process.argv[2] ?? 'src/gen');
  process.stderr.write(`gen-proto: wrote types for ${[...protoFiles, ...alcorProtoFiles.map((f) => `alcor/${f}`)].join(', ')} into ${path.relative(root, out) || '.'}\n`);
}
