import * as grpc from '@grpc/grpc-js';
import { PluginError, Status } from './errors';
import { loadPluginProto } from './proto';
import type * as T from './types';

/**
 * The provider SDK: turns an object of plain async functions into a running network plugin gRPC
 * server. Each handler takes the decoded request and returns the response; throwing
 * `PluginError(code, message)` answers that gRPC status, any other throw answers INTERNAL.
 */

export { PluginError, Status } from './errors';
export type * from './types';

/** One handler per RPC of merak.plugin.v1.NetworkPluginService. */
export interface NetworkPluginHandlers {
  createVpc(request: T.CreateVpcRequest__Output): Promise<T.CreateVpcResponse>;
  updateVpc(request: T.UpdateVpcRequest__Output): Promise<T.UpdateVpcResponse>;
  deleteVpc(request: T.DeleteVpcRequest__Output): Promise<T.DeleteVpcResponse>;
  createSubnet(request: T.CreateSubnetRequest__Output): Promise<T.CreateSubnetResponse>;
  updateSubnet(request: T.UpdateSubnetRequest__Output): Promise<T.UpdateSubnetResponse>;
  deleteSubnet(request: T.DeleteSubnetRequest__Output): Promise<T.DeleteSubnetResponse>;
  createNode(request: T.CreateNodeRequest__Output): Promise<T.CreateNodeResponse>;
  updateNode(request: T.UpdateNodeRequest__Output): Promise<T.UpdateNodeResponse>;
  deleteNode(request: T.DeleteNodeRequest__Output): Promise<T.DeleteNodeResponse>;
}

/** The handler of the optional read-only merak.plugin.v1.NetworkPluginStateService. */
export interface NetworkPluginStateHandler {
  getState(request: T.GetStateRequest__Output): Promise<T.GetStateResponse>;
}

/** Options of `serveNetworkPlugin`. */
export interface ServeNetworkPluginOptions {
  /** Address to listen on. @default '127.0.0.1' (loopback only: a plugin is not for the world) */
  host?: string;
  /** TCP port; 0 asks the system for a free one, read it from the returned `port`. */
  port: number;
  /** Serves NetworkPluginStateService too when given. @default undefined (not served: UNIMPLEMENTED) */
  stateHandler?: NetworkPluginStateHandler;
  /**
   * Told about every handler failure that is not a PluginError (answered INTERNAL), so the
   * provider's bug is visible on its side too. @default writes one line to stderr
   */
  onInternalError?: (method: string, err: unknown) => void;
  /** How long `close()` lets calls in flight finish before cutting them. @default 5000 */
  shutdownGraceMs?: number;
}

/** A running plugin server. */
export interface RunningNetworkPlugin {
  /** The bound TCP port (the chosen one when asked for port 0). */
  readonly port: number;
  /** HOST:PORT to hand to a client. */
  readonly address: string;
  /** Stops accepting calls, waits up to shutdownGraceMs for calls in flight, then cuts them. */
  close(): Promise<void>;
}

/** Which field of a Create/Update response must carry the object the provider holds. */
const OBJECT_FIELD: Record<string, string | undefined> = {
  CreateVpc: 'vpc',
  UpdateVpc: 'vpc',
  CreateSubnet: 'subnet',
  UpdateSubnet: 'subnet',
  CreateNode: 'node',
  UpdateNode: 'node',
};

/** Starts a network plugin gRPC server with the given handlers. */
export async function serveNetworkPlugin(
  handlers: NetworkPluginHandlers,
  options: ServeNetworkPluginOptions,
): Promise<RunningNetworkPlugin> {
  const host = options.host ?? '127.0.0.1';
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new RangeError(`port: ${options.port} is not a TCP port (0..65535, 0 = any free port)`);
  }
  const onInternalError =
    options.onInternalError ??
    ((method: string, err: unknown) => {
      process.stderr.write(`network plugin: ${method} failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    });
  const proto = loadPluginProto().v1;
  const server = new grpc.Server();

  const unary = <Req, Res>(method: string, handler: (request: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> => {
    return (call, callback) => {
      void answer(method, () => handler(call.request), callback, onInternalError);
    };
  };

  const implementation: grpc.UntypedServiceImplementation = {
    CreateVpc: unary('CreateVpc', (r: T.CreateVpcRequest__Output) => handlers.createVpc(r)),
    UpdateVpc: unary('UpdateVpc', (r: T.UpdateVpcRequest__Output) => handlers.updateVpc(r)),
    DeleteVpc: unary('DeleteVpc', (r: T.DeleteVpcRequest__Output) => handlers.deleteVpc(r)),
    CreateSubnet: unary('CreateSubnet', (r: T.CreateSubnetRequest__Output) => handlers.createSubnet(r)),
    UpdateSubnet: unary('UpdateSubnet', (r: T.UpdateSubnetRequest__Output) => handlers.updateSubnet(r)),
    DeleteSubnet: unary('DeleteSubnet', (r: T.DeleteSubnetRequest__Output) => handlers.deleteSubnet(r)),
    CreateNode: unary('CreateNode', (r: T.CreateNodeRequest__Output) => handlers.createNode(r)),
    UpdateNode: unary('UpdateNode', (r: T.UpdateNodeRequest__Output) => handlers.updateNode(r)),
    DeleteNode: unary('DeleteNode', (r: T.DeleteNodeRequest__Output) => handlers.deleteNode(r)),
  };
  server.addService(proto.NetworkPluginService.service, implementation);
  const stateHandler = options.stateHandler;
  if (stateHandler !== undefined) {
    server.addService(proto.NetworkPluginStateService.service, {
      GetState: unary('GetState', (r: T.GetStateRequest__Output) => stateHandler.getState(r)),
    });
  }

  const bindHost = host.includes(':') ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${bindHost}:${options.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) {
        server.forceShutdown();
        reject(new Error(`network plugin cannot listen on ${bindHost}:${options.port}: ${err.message}`));
      }
      else resolve(bound);
    });
  });

  const graceMs = options.shutdownGraceMs ?? 5000;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return closing;
  };
  return { port, address: `${bindHost}:${port}`, close };
}

/** Runs one handler and answers the call; never rejects. */
async function answer<Res>(
  method: string,
  run: () => Promise<Res>,
  callback: grpc.sendUnaryData<Res>,
  onInternalError: (method: string, err: unknown) => void,
): Promise<void> {
  let response: Res;
  try {
    response = await run();
  } catch (err) {
    if (err instanceof PluginError && Number.isInteger(err.code) && err.code > Status.OK && err.code <= Status.UNAUTHENTICATED) {
      callback({ code: err.code, details: err.message });
      return;
    }
    onInternalError(method, err);
    callback({ code: Status.INTERNAL, details: `${method}: ${err instanceof Error ? err.message : String(err)}` });
    return;
  }
  const field = OBJECT_FIELD[method];
  if (field !== undefined && (response as Record<string, unknown> | undefined)?.[field] == null) {
    // Merak builds its dataplane from the returned object; an answer without it would leave
    // Merak guessing, so the SDK refuses it loudly on the provider's side as well.
    const err = new Error(`the ${method} handler returned no "${field}": every Create/Update response carries the object as the provider holds it`);
    onInternalError(method, err);
    callback({ code: Status.INTERNAL, details: err.message });
    return;
  }
  callback(null, response);
}
