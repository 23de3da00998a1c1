/**
 * The message types of the network plugin interface, re-exported from the generated src/gen
 * (never hand-written). `X` is what a sender may write (every field optional), `X__Output` is what
 * a receiver gets (every field present, defaults filled in, message fields possibly null).
 */
export type { Vpc, Vpc__Output } from '../gen/merak/plugin/v1/Vpc';
export type { Subnet, Subnet__Output } from '../gen/merak/plugin/v1/Subnet';
export type { Node, Node__Output } from '../gen/merak/plugin/v1/Node';
export type { CreateVpcRequest, CreateVpcRequest__Output } from '../gen/merak/plugin/v1/CreateVpcRequest';
export type { CreateVpcResponse, CreateVpcResponse__Output } from '../gen/merak/plugin/v1/CreateVpcResponse';
export type { UpdateVpcRequest, UpdateVpcRequest__Output } from '../gen/merak/plugin/v1/UpdateVpcRequest';
export type { UpdateVpcResponse, UpdateVpcResponse__Output } from '../gen/merak/plugin/v1/UpdateVpcResponse';
export type { DeleteVpcRequest, DeleteVpcRequest__Output } from '../gen/merak/plugin/v1/DeleteVpcRequest';
export type { DeleteVpcResponse, DeleteVpcResponse__Output } from '../gen/merak/plugin/v1/DeleteVpcResponse';
export type { CreateSubnetRequest, CreateSubnetRequest__Output } from '../gen/merak/plugin/v1/CreateSubnetRequest';
export type { CreateSubnetResponse, CreateSubnetResponse__Output } from '../gen/merak/plugin/v1/CreateSubnetResponse';
export type { UpdateSubnetRequest, UpdateSubnetRequest__Output } from '../gen/merak/plugin/v1/UpdateSubnetRequest';
export type { UpdateSubnetResponse, UpdateSubnetResponse__Output } from '../gen/merak/plugin/v1/UpdateSubnetResponse';
export type { DeleteSubnetRequest, DeleteSubnetRequest__Output } from '../gen/merak/plugin/v1/DeleteSubnetRequest';
export type { DeleteSubnetResponse, DeleteSubnetResponse__Output } from '../gen/merak/plugin/v1/DeleteSubnetResponse';
export type { CreateNodeRequest, CreateNodeRequest__Output } from '../gen/merak/plugin/v1/CreateNodeRequest';
export type { CreateNodeResponse, CreateNodeResponse__Output } from '../gen/merak/plugin/v1/CreateNodeResponse';
export type { UpdateNodeRequest, UpdateNodeRequest__Output } from '../gen/merak/plugin/v1/UpdateNodeRequest';
export type { UpdateNodeResponse, UpdateNodeResponse__Output } from '../gen/merak/plugin/v1/UpdateNodeResponse';
export type { DeleteNodeRequest, DeleteNodeRequest__Output } from '../gen/merak/plugin/v1/DeleteNodeRequest';
export type { DeleteNodeResponse, DeleteNodeResponse__Output } from '../gen/merak/plugin/v1/DeleteNodeResponse';
export type { GetStateRequest, GetStateRequest__Output } from '../gen/merak/plugin/v1/GetStateRequest';
export type { GetStateResponse, GetStateResponse__Output } from '../gen/merak/plugin/v1/GetStateResponse';
