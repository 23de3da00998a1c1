/**
 * The public entry point of Merak's plugin kit, `merak/plugin` (package.json `exports`): what a
 * provider's developer needs in another repository to write a network plugin in TypeScript and to
 * check it.
 *
 * - the provider SDK: `serveNetworkPlugin`, `PluginError`, `Status`, the handler interfaces and
 *   their `CallContext` (`throwIfCallerGone`);
 * - Merak's client: `createNetworkPluginClient` (what Merak itself calls a plugin with);
 * - errors: `PluginCallError`, `classifyPluginError` (Merak's retry decision), `statusName`;
 * - the generated message types (`Vpc`, `Vpc__Output`, `CreateVpcRequest`, …; src/gen);
 * - the conformance suite: `runConformance` (what `merak plugin conformance` runs) and
 *   `invokeThroughClient`, to run it from a provider's own tests.
 *
 * Everything else in the package is internal and may change without notice.
 */
export {
  serveNetworkPlugin,
  throwIfCallerGone,
  type CallContext,
  type NetworkPluginHandlers,
  type NetworkPluginStateHandler,
  type RunningNetworkPlugin,
  type ServeNetworkPluginOptions,
} from './sdk';
export { createNetworkPluginClient, type NetworkPluginClient, type NetworkPluginClientOptions, type PluginCallOptions } from './client';
export { classifyPluginError, PluginCallError, PluginError, RETRYABLE_BY_STATUS, Status, statusName, type PluginErrorClass, type StatusName } from './errors';
export type * from './types';
export { invokeThroughClient, runConformance, type ConformanceInvoke, type ConformanceNode, type ConformanceRunOptions } from './conformance';
export type { ConformanceReport, ConformanceRuleResult, ConformanceRule, ConformanceOutcome, ConformanceVerdict } from '../model/plugin-conformance';
export { CONFORMANCE_RULES, renderConformanceText } from '../model/plugin-conformance';
