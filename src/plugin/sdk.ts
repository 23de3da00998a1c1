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

/**
 * What a handler knows about its call besides the request. A caller that gave up (its deadline
 * passed, or it cancelled) no longer waits for the answer and will act on not having one: Merak's
 * workflow retries the Create or, when its build failed, deletes the object. A handler should
 * therefore not start a change after `signal` aborted: a change made then lands after a delete
 * its caller already sent (issue 11; the Merak workflow outlasts such late Creates anyway, see
 * docs/network-plugin.md, but each one costs it a retry).
 */
export interface CallContext {
  /** Aborts when the call's deadline passes or the client cancels it (reason: a PluginError DEADLINE_EXCEEDED or CANCELLED). */
  readonly signal: AbortSignal;
  /** The call's deadline in ms since the epoch, or undefined when the client set none. */
  readonly deadline: number | undefined;
}

/** One handler per RPC of merak.plugin.v1.NetworkPluginService; `context` is optional to use. */
export interface NetworkPluginHandlers {
  createVpc(request: T.CreateVpcRequest__Output, context?: CallContext): Promise<T.CreateVpcResponse>;
  updateVpc(request: T.UpdateVpcRequest__Output, context?: CallContext): Promise<T.UpdateVpcResponse>;
  deleteVpc(request: T.DeleteVpcRequest__Output, context?: CallContext): Promise<T.DeleteVpcResponse>;
  createSubnet(request: T.CreateSubnetRequest__Output, context?: CallContext): Promise<T.CreateSubnetResponse>;
  updateSubnet(request: T.UpdateSubnetRequest__Output, context?: CallContext): Promise<T.UpdateSubnetResponse>;
  deleteSubnet(request: T.DeleteSubnetRequest__Output, context?: CallContext): Promise<T.DeleteSubnetResponse>;
  createNode(request: T.CreateNodeRequest__Output, context?: CallContext): Promise<T.CreateNodeResponse>;
  updateNode(request: T.UpdateNodeRequest__Output, context?: CallContext): Promise<T.UpdateNodeResponse>;
  deleteNode(request: T.DeleteNodeRequest__Output, context?: CallContext): Promise<T.DeleteNodeResponse>;
}

/**
 * Throws the signal's reason when the caller has given up: call it in a handler right before a
 * change (after any wait for a lock or a backend), so nothing is changed for a caller that left.
 * @throws PluginError DEADLINE_EXCEEDED or CANCELLED when `context.signal` aborted
 */
export function throwIfCallerGone(context: CallContext | undefined): void {
  if (context?.signal.aborted) throw context.signal.reason instanceof Error ? context.signal.reason : new PluginError(Status.CANCELLED, 'the caller cancelled the call');
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

  const unary = <Req, Res>(method: string, handler: (request: Req, context: CallContext) => Promise<Res>): grpc.handleUnaryCall<Req, Res> => {
    return (call, callback) => {
      const { context, done } = callContext(method, call);
      // A call whose caller is already gone is not started (its answer would reach no one).
      if (context.signal.aborted) {
        done();
        callback({ code: (context.signal.reason as PluginError).code, details: (context.signal.reason as PluginError).message });
        return;
      }
      void answer(method, () => handler(call.request, context), callback, onInternalError).finally(done);
    };
  };

  const implementation: grpc.UntypedServiceImplementation = {
    CreateVpc: unary('CreateVpc', (r: T.CreateVpcRequest__Output, c) => handlers.createVpc(r, c)),
    UpdateVpc: unary('UpdateVpc', (r: T.UpdateVpcRequest__Output, c) => handlers.updateVpc(r, c)),
    DeleteVpc: unary('DeleteVpc', (r: T.DeleteVpcRequest__Output, c) => handlers.deleteVpc(r, c)),
    CreateSubnet: unary('CreateSubnet', (r: T.CreateSubnetRequest__Output, c) => handlers.createSubnet(r, c)),
    UpdateSubnet: unary('UpdateSubnet', (r: T.UpdateSubnetRequest__Output, c) => handlers.updateSubnet(r, c)),
    DeleteSubnet: unary('DeleteSubnet', (r: T.DeleteSubnetRequest__Output, c) => handlers.deleteSubnet(r, c)),
    CreateNode: unary('CreateNode', (r: T.CreateNodeRequest__Output, c) => handlers.createNode(r, c)),
    UpdateNode: unary('UpdateNode', (r: T.UpdateNodeRequest__Output, c) => handlers.updateNode(r, c)),
    DeleteNode: unary('DeleteNode', (r: T.DeleteNodeRequest__Output, c) => handlers.deleteNode(r, c)),
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

/** How close to the call's deadline a cancel by the client counts as the deadline passing, ms. */
const DEADLINE_CANCEL_SLACK_MS = 100;

/**
 * The context of one call: a signal aborted at the call's deadline (a timer, since grpc-js
 * answers DEADLINE_EXCEEDED itself but tells the handler nothing) or when the client cancels.
 * `done` clears the timer once the call is answered.
 */
function callContext(method: string, call: grpc.ServerUnaryCall<unknown, unknown>): { context: CallContext; done: () => void } {
  const controller = new AbortController();
  const raw = call.getDeadline();
  const at = raw instanceof Date ? raw.getTime() : Number.isFinite(raw) ? Number(raw) : undefined;
  const gone = (code: Status, why: string) => {
    if (!controller.signal.aborted) controller.abort(new PluginError(code, `${method}: ${why}`));
  };
  // A client whose deadline passes cancels the stream itself, and that cancel can reach the
  // server a moment before the server's own deadline timer fires (seen in CI under load): a
  // cancel at or within DEADLINE_CANCEL_SLACK_MS of the deadline is the deadline passing.
  const onCancel = () =>
    at !== undefined && Date.now() >= at - DEADLINE_CANCEL_SLACK_MS ? gone(Status.DEADLINE_EXCEEDED, 'the call\'s deadline passed') : gone(Status.CANCELLED, 'the caller cancelled the call');
  call.on('cancelled', onCancel);
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (at !== undefined) {
    const left = at - Date.now();
    if (left <= 0) gone(Status.DEADLINE_EXCEEDED, 'the call\'s deadline passed before it started');
    else timer = setTimeout(() => gone(Status.DEADLINE_EXCEEDED, 'the call\'s deadline passed'), left);
  }
  if (call.cancelled) onCancel();
  return {
    context: { signal: controller.signal, deadline: at },
    done: () => {
      if (timer !== undefined) clearTimeout(timer);
      call.removeListener('cancelled', onCancel);
    },
  };
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
