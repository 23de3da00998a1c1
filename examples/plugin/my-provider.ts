/**
 * A complete network plugin written with Merak's provider SDK: an in-memory provider that, like
 * Alcor and Mizar, allocates its own VNIs and ignores the one Merak asks for. It shows the four
 * things every plugin must get right:
 *   1. answer every Create/Update with the object as the provider holds it (here: its own VNI);
 *   2. make Create idempotent (same fields → the held object; other fields → ALREADY_EXISTS);
 *   3. make Delete of a missing object succeed;
 *   4. report bad input as INVALID_ARGUMENT naming the field, and an outage as UNAVAILABLE.
 *
 * Run it (see docs/network-plugin.md):
 *   npx tsc --outDir .state/example --rootDir . --module commonjs --target ES2022 --strict \
 *     --esModuleInterop --skipLibCheck examples/plugin/my-provider.ts
 *   node .state/example/examples/plugin/my-provider.js 50061
 */
import { PluginError, serveNetworkPlugin, type NetworkPluginHandlers, type Node__Output, type Subnet__Output, type Vpc__Output } from '../../src/plugin/sdk';
import { cidrContains, cidrFrom, Ipv4FormatError, type Ipv4Cidr } from '../../src/model/ipv4';

/** First VNI this provider hands out. */
const FIRST_VNI = 10_000;

interface HeldVpc {
  vpc: Vpc__Output;
  cidr: Ipv4Cidr;
}

/** Builds the handlers; `isBackendUp` lets a test simulate an outage of the provider's backend. */
export function createMyProviderHandlers(isBackendUp: () => boolean = () => true): NetworkPluginHandlers {
  const vpcs = new Map<string, HeldVpc>();
  const subnets = new Map<string, Subnet__Output>();
  const nodes = new Map<string, Node__Output>();
  let nextVni = FIRST_VNI;

  const backend = (): void => {
    // A provider whose own API or database is down says UNAVAILABLE: Merak retries with backoff.
    if (!isBackendUp()) throw PluginError.unavailable('my-provider backend is not reachable; try again');
  };
  const need = <T>(field: string, value: T | null | undefined): T => {
    if (value === null || value === undefined) throw PluginError.invalidArgument(`${field}: is missing`);
    return value;
  };
  const key = (field: string, value: string): string => {
    if (value === '') throw PluginError.invalidArgument(`${field}: "" is empty; give a non-empty key`);
    return value;
  };
  const cidr = (scope: string, ip: string, prefix: number): Ipv4Cidr => {
    try {
      return cidrFrom(ip, prefix);
    } catch (err) {
      const rule = err instanceof Ipv4FormatError ? err.rule : String(err);
      throw PluginError.invalidArgument(`${scope}.ip/${scope}.prefix: "${ip}/${prefix}" is not a network address: ${rule}`);
    }
  };
  const sameOptional = (a: Record<string, string>, b: Record<string, string>): boolean =>
    JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

  return {
    async createVpc({ vpc }) {
      backend();
      const asked = need('vpc', vpc);
      const id = key('vpc.id', asked.id);
      const range = cidr('vpc', asked.ip, asked.prefix);
      const held = vpcs.get(id);
      if (held) {
        // The asked VNI is ignored on purpose: this provider chose its own, so it is no conflict.
        if (held.vpc.ip === asked.ip && held.vpc.prefix === asked.prefix && sameOptional(held.vpc.optional, asked.optional)) {
          return { vpc: held.vpc };
        }
        throw PluginError.alreadyExists(`vpc ${JSON.stringify(id)} already exists as ${held.vpc.ip}/${held.vpc.prefix}`);
      }
      const created: Vpc__Output = { ...asked, id, vni: nextVni };
      nextVni += 1;
      vpcs.set(id, { vpc: created, cidr: range });
      return { vpc: created };
    },

    async updateVpc({ vpc }) {
      backend();
      const asked = need('vpc', vpc);
      const held = vpcs.get(asked.id);
      if (!held) throw PluginError.notFound(`vpc.id: ${JSON.stringify(asked.id)} names no VPC`);
      const range = cidr('vpc', asked.ip, asked.prefix);
      const updated: Vpc__Output = { ...asked, vni: held.vpc.vni };
      vpcs.set(asked.id, { vpc: updated, cidr: range });
      return { vpc: updated };
    },

    async deleteVpc({ id }) {
      backend();
      const inUse = [...subnets.values()].filter((s) => s.vpc === id).map((s) => s.id);
      if (inUse.length > 0) throw PluginError.failedPrecondition(`id: VPC ${JSON.stringify(id)} still has subnets ${inUse.join(', ')}`);
      vpcs.delete(id); // deleting what is not there is fine
      return {};
    },

    async createSubnet({ subnet }) {
      backend();
      const asked = need('subnet', subnet);
      const id = key('subnet.id', asked.id);
      const vpc = vpcs.get(asked.vpc);
      if (!vpc) throw PluginError.failedPrecondition(`subnet.vpc: ${JSON.stringify(asked.vpc)} names no VPC; create it first`);
      const range = cidr('subnet', asked.ip, asked.prefix);
      if (!cidrContains(vpc.cidr, range)) {
        throw PluginError.invalidArgument(`subnet.ip/subnet.prefix: ${asked.ip}/${asked.prefix} is not inside VPC ${asked.vpc} (${vpc.vpc.ip}/${vpc.vpc.prefix})`);
      }
      // This provider puts every subnet on its VPC's VNI, whatever was asked.
      const wanted: Subnet__Output = { ...asked, id, vni: vpc.vpc.vni };
      const held = subnets.get(id);
      if (held) {
        if (held.vpc === wanted.vpc && held.ip === wanted.ip && held.prefix === wanted.prefix && sameOptional(held.optional, wanted.optional)) {
          return { subnet: held };
        }
        throw PluginError.alreadyExists(`subnet ${JSON.stringify(id)} already exists as ${held.ip}/${held.prefix} in ${held.vpc}`);
      }
      subnets.set(id, wanted);
      return { subnet: wanted };
    },

    async updateSubnet({ subnet }) {
      backend();
      const asked = need('subnet', subnet);
      const held = subnets.get(asked.id);
      if (!held) throw PluginError.notFound(`subnet.id: ${JSON.stringify(asked.id)} names no subnet`);
      const updated: Subnet__Output = { ...held, optional: asked.optional };
      subnets.set(asked.id, updated);
      return { subnet: updated };
    },

    async deleteSubnet({ id }) {
      backend();
      subnets.delete(id);
      return {};
    },

    async createNode({ node }) {
      backend();
      const asked = need('node', node);
      const name = key('node.name', asked.name);
      const held = nodes.get(name);
      if (held) {
        if (held.ip === asked.ip && held.mac === asked.mac.toLowerCase()) return { node: held };
        throw PluginError.alreadyExists(`node ${JSON.stringify(name)} already exists with ip ${held.ip}, mac ${held.mac}`);
      }
      const created: Node__Output = { ...asked, name, mac: asked.mac.toLowerCase() };
      nodes.set(name, created);
      return { node: created };
    },

    async updateNode({ node }) {
      backend();
      const asked = need('node', node);
      if (!nodes.has(asked.name)) throw PluginError.notFound(`node.name: ${JSON.stringify(asked.name)} names no node`);
      const updated: Node__Output = { ...asked, mac: asked.mac.toLowerCase() };
      nodes.set(asked.name, updated);
      return { node: updated };
    },

    async deleteNode({ name }) {
      backend();
      nodes.delete(name);
      return {};
    },
  };
}

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? '50061');
  const server = await serveNetworkPlugin(createMyProviderHandlers(), { port });
  process.stderr.write(`my-provider listening on ${server.address}\n`);
  const stop = (): void => {
    void server.close().then(() => process.stderr.write('my-provider stopped\n'));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`my-provider: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
