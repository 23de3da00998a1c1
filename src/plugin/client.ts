import * as grpc from '@grpc/grpc-js';
import { PluginCallError, Status } from './errors';
import { loadPluginProto } from './proto';
import type * as T from './types';

/**
 * Merak's typed client of a network plugin: one promise method per RPC, a deadline on every
 * call, failures as `PluginCallError` (classify them with `classifyPluginError`).
 */

/** Options of `createNetworkPluginClient`. */
export interface NetworkPluginClientOptions {
  /** Deadline of every call, in milliseconds, unless the call overrides it. @default 10000 */
  deadlineMs?: number;
  /**
   * Longest pause between attempts to reconnect to a plugin that is down. gRPC's own default
   * grows to 120 s, so a plugin back after a long outage could stay unseen for minutes while
   * every call fails fast; a short cap costs one TCP connect per period. @default 1000
   */
  maxReconnectBackoffMs?: number;
}

/** Per-call options. */
export interface PluginCallOptions {
  /** Deadline of this call in milliseconds. @default the client's deadlineMs */
  deadlineMs?: number;
}

/** A Create/Update answer whose object is known to be present (the client checks it). */
type WithObject<R, K extends string> = Omit<R, K> & { [P in K]: NonNullable<R[P & keyof R]> };

/** A network plugin client; close it when done. */
export interface NetworkPluginClient {
  /** HOST:PORT of the plugin. */
  readonly address: string;
  createVpc(request: T.CreateVpcRequest, options?: PluginCallOptions): Promise<WithObject<T.CreateVpcResponse__Output, 'vpc'>>;
  updateVpc(request: T.UpdateVpcRequest, options?: PluginCallOptions): Promise<WithObject<T.UpdateVpcResponse__Output, 'vpc'>>;
  deleteVpc(request: T.DeleteVpcRequest, options?: PluginCallOptions): Promise<T.DeleteVpcResponse__Output>;
  createSubnet(request: T.CreateSubnetRequest, options?: PluginCallOptions): Promise<WithObject<T.CreateSubnetResponse__Output, 'subnet'>>;
  updateSubnet(request: T.UpdateSubnetRequest, options?: PluginCallOptions): Promise<WithObject<T.UpdateSubnetResponse__Output, 'subnet'>>;
  deleteSubnet(request: T.DeleteSubnetRequest, options?: PluginCallOptions): Promise<T.DeleteSubnetResponse__Output>;
  createNode(request: T.CreateNodeRequest, options?: PluginCallOptions): Promise<WithObject<T.CreateNodeResponse__Output, 'node'>>;
  updateNode(request: T.UpdateNodeRequest, options?: PluginCallOptions): Promise<WithObject<T.UpdateNodeResponse__Output, 'node'>>;
  deleteNode(request: T.DeleteNodeRequest, options?: PluginCallOptions): Promise<T.DeleteNodeResponse__Output>;
  /** NetworkPluginStateService.GetState; UNIMPLEMENTED when the plugin does not serve it. */
  getState(options?: PluginCallOptions): Promise<T.GetStateResponse__Output>;
  /** Closes the channel; calls in flight fail with CANCELLED. */
  close(): void;
}

/** Largest answer the client accepts (64 MiB). */
const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

type Invoke<Req, Res> = (request: Req, options: grpc.CallOptions, callback: grpc.requestCallback<Res>) => grpc.ClientUnaryCall;

/**
 * Creates a client of the plugin at `address` (HOST:PORT). No connection is made until the first
 * call; a plugin that is down answers UNAVAILABLE at once (no wait-for-ready), which callers retry.
 */
export function createNetworkPluginClient(address: string, options: NetworkPluginClientOptions = {}): NetworkPluginClient {
  const defaultDeadlineMs = options.deadlineMs ?? 10_000;
  checkDeadline('deadlineMs', defaultDeadlineMs);
  const proto = loadPluginProto().v1;
  // GetState of a plugin holding tens of thousands of nodes exceeds gRPC's default 4 MiB.
  const maxReconnectBackoffMs = options.maxReconnectBackoffMs ?? 1000;
  checkDeadline('maxReconnectBackoffMs', maxReconnectBackoffMs);
  const plugin = new proto.NetworkPluginService(address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
    'grpc.initial_reconnect_backoff_ms': Math.min(100, maxReconnectBackoffMs),
    'grpc.max_reconnect_backoff_ms': maxReconnectBackoffMs,
  });
  // The state service shares the plugin's channel: one connection per plugin, not two.
  const state = new proto.NetworkPluginStateService(address, grpc.credentials.createInsecure(), {
    channelOverride: plugin.getChannel(),
  });

  const call = <Req, Res>(method: string, invoke: Invoke<Req, Res>, objectField?: string) => {
    return (request: Req, callOptions: PluginCallOptions = {}): Promise<Res> => {
      const deadlineMs = callOptions.deadlineMs ?? defaultDeadlineMs;
      checkDeadline(`${method} deadlineMs`, deadlineMs);
      return new Promise<Res>((resolve, reject) => {
        invoke(request, { deadline: Date.now() + deadlineMs }, (err, response) => {
          if (err) {
            reject(new PluginCallError(err.code ?? Status.UNKNOWN, err.details || err.message, method, address));
          } else if (response === undefined) {
            reject(new PluginCallError(Status.INTERNAL, 'the plugin sent no response message', method, address));
          } else if (objectField !== undefined && (response as Record<string, unknown>)[objectField] == null) {
            // The contract: every Create/Update answer carries the object as the provider holds it.
            reject(new PluginCallError(Status.INTERNAL, `the plugin answered without "${objectField}"; every ${method} response must carry the object as the provider holds it`, method, address));
          } else {
            resolve(response);
          }
        });
      });
    };
  };
  // Create/Update answers are checked to carry their object, so their type says it is there.
  const callWithObject = <Req, Res, K extends keyof Res & string>(method: string, invoke: Invoke<Req, Res>, field: K) =>
    call(method, invoke, field) as (request: Req, options?: PluginCallOptions) => Promise<WithObject<Res, K>>;

  const getState = call<T.GetStateRequest, T.GetStateResponse__Output>('GetState', (r, o, cb) => state.GetState(r, o, cb));
  return {
    address,
    createVpc: callWithObject<T.CreateVpcRequest, T.CreateVpcResponse__Output, 'vpc'>('CreateVpc', (r, o, cb) => plugin.CreateVpc(r, o, cb), 'vpc'),
    updateVpc: callWithObject<T.UpdateVpcRequest, T.UpdateVpcResponse__Output, 'vpc'>('UpdateVpc', (r, o, cb) => plugin.UpdateVpc(r, o, cb), 'vpc'),
    deleteVpc: call<T.DeleteVpcRequest, T.DeleteVpcResponse__Output>('DeleteVpc', (r, o, cb) => plugin.DeleteVpc(r, o, cb)),
    createSubnet: callWithObject<T.CreateSubnetRequest, T.CreateSubnetResponse__Output, 'subnet'>('CreateSubnet', (r, o, cb) => plugin.CreateSubnet(r, o, cb), 'subnet'),
    updateSubnet: callWithObject<T.UpdateSubnetRequest, T.UpdateSubnetResponse__Output, 'subnet'>('UpdateSubnet', (r, o, cb) => plugin.UpdateSubnet(r, o, cb), 'subnet'),
    deleteSubnet: call<T.DeleteSubnetRequest, T.DeleteSubnetResponse__Output>('DeleteSubnet', (r, o, cb) => plugin.DeleteSubnet(r, o, cb)),
    createNode: callWithObject<T.CreateNodeRequest, T.CreateNodeResponse__Output, 'node'>('CreateNode', (r, o, cb) => plugin.CreateNode(r, o, cb), 'node'),
    updateNode: callWithObject<T.UpdateNodeRequest, T.UpdateNodeResponse__Output, 'node'>('UpdateNode', (r, o, cb) => plugin.UpdateNode(r, o, cb), 'node'),
    deleteNode: call<T.DeleteNodeRequest, T.DeleteNodeResponse__Output>('DeleteNode', (r, o, cb) => plugin.DeleteNode(r, o, cb)),
    getState: (callOptions?: PluginCallOptions) => getState({}, callOptions),
    // Closing the plugin client closes the channel the state client shares.
    close: () => plugin.close(),
  };
}

function checkDeadline(field: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${field}: ${value} is not a positive number of milliseconds`);
  }
}
