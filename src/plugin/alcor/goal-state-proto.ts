/**
 * Alcor's goal-state service (`alcor.schema.GoalStateProvisioner`, proto/alcor/, third-party MIT
 * protos of Alcor 21f11b5), loaded at run time with the options scripts/gen-proto.js gives the
 * type generator, so the generated src/gen/alcor types describe the decoded messages.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';
import type { ProtoGrpcType } from '../../gen/alcor/goalstateprovisioner';
import { PROTO_LOADER_OPTIONS, protoRoot } from '../proto';

export type AlcorSchema = ProtoGrpcType['alcor']['schema'];

export type { GoalStateV2__Output } from '../../gen/alcor/alcor/schema/GoalStateV2';
export type { GoalStateOperationReply } from '../../gen/alcor/alcor/schema/GoalStateOperationReply';
export type { HostRequest } from '../../gen/alcor/alcor/schema/HostRequest';
export type { HostRequestReply__Output } from '../../gen/alcor/alcor/schema/HostRequestReply';
export type { NeighborRulesRequest__Output } from '../../gen/alcor/alcor/schema/NeighborRulesRequest';
export type { VpcConfiguration__Output } from '../../gen/alcor/alcor/schema/VpcConfiguration';
export type { SubnetConfiguration__Output } from '../../gen/alcor/alcor/schema/SubnetConfiguration';
export type { PortConfiguration__Output } from '../../gen/alcor/alcor/schema/PortConfiguration';
export type { NeighborConfiguration__Output } from '../../gen/alcor/alcor/schema/NeighborConfiguration';
export type { RouterConfiguration__Output } from '../../gen/alcor/alcor/schema/RouterConfiguration';
export type { GoalStateProvisionerHandlers } from '../../gen/alcor/alcor/schema/GoalStateProvisioner';

let loaded: AlcorSchema | undefined;

/** Loads (once) and returns the alcor.schema package. */
export function loadAlcorSchema(): AlcorSchema {
  if (loaded === undefined) {
    const definition = protoLoader.loadSync(['goalstateprovisioner.proto'], { ...PROTO_LOADER_OPTIONS, includeDirs: [path.join(protoRoot(), 'alcor')] });
    loaded = (grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType).alcor.schema;
  }
  return loaded;
}
