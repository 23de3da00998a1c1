import { createNetworkPluginClient, type NetworkPluginClient } from '../../plugin/client';
import type { PluginTarget } from './plugin-activities';

/**
 * One gRPC channel per plugin address for the life of the worker: activities run thousands of
 * calls, and a channel per call would pay a TCP (and TLS) handshake each time.
 */
export function createPluginClientCache(): { get(target: PluginTarget): NetworkPluginClient; closeAll(): void } {
  const clients = new Map<string, NetworkPluginClient>();
  return {
    get(target) {
      const key = `${target.address}|${target.deadlineMs}`;
      let client = clients.get(key);
      if (!client) {
        client = createNetworkPluginClient(target.address, { deadlineMs: target.deadlineMs });
        clients.set(key, client);
      }
      return client;
    },
    closeAll() {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}
