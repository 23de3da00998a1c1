import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packagePath } from '../install/paths';
import type { ProtoGrpcType as NetworkPluginProto } from '../gen/network_plugin';
import type { ProtoGrpcType as NetworkPluginStateProto } from '../gen/network_plugin_state';

/**
 * Loads the network plugin protos at run time. The options must match the ones
 * scripts/gen-proto.js hands to proto-loader-gen-types (keepCase, longs as Number, enums as
 * String, defaults, oneofs), so that the generated src/gen types describe the decoded messages.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

const PROTO_FILES = ['merak/plugin/v1/network_plugin.proto', 'merak/plugin/v1/network_plugin_state.proto'];

/**
 * The proto/ folder at the package root (read at run time, so the package ships it).
 * @throws Error when the folder lacks the plugin protos.
 */
export function protoRoot(): string {
  const root = packagePath('proto');
  if (!fs.existsSync(path.join(root, PROTO_FILES[0]))) throw new Error(`cannot find ${path.join(root, PROTO_FILES[0])}: ship the proto/ folder with the package (it is read at run time)`);
  return root;
}

/** The loaded services; one load per process. */
export interface LoadedPluginProto {
  readonly v1: NetworkPluginProto['merak']['plugin']['v1'] & NetworkPluginStateProto['merak']['plugin']['v1'];
}

let loaded: LoadedPluginProto | undefined;

/** Loads (once) and returns the merak.plugin.v1 package with both services. */
export function loadPluginProto(): LoadedPluginProto {
  if (loaded === undefined) {
    const definition = protoLoader.loadSync(PROTO_FILES, { ...PROTO_LOADER_OPTIONS, includeDirs: [protoRoot()] });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as NetworkPluginProto & NetworkPluginStateProto;
    loaded = { v1: pkg.merak.plugin.v1 };
  }
  return loaded;
}
