/**
 * A complete network plugin written with Merak's provider SDK: an in-memory provider that, like
 * Alcor and Mizar, allocates its own VNIs and ignores the one Merak asks for. It imports only the
 * public entry point `merak/plugin`, as a provider's own repository would, and passes
 * `merak plugin conformance`. It shows what every plugin must get right:
 *   1. answer every Create/Update with the object as the provider holds it (here: its own VNI);
 *   2. make Create idempotent (same fields → the held object; other fields → ALREADY_EXISTS);
 *   3. make Delete of a missing object succeed, and Update of one NOT_FOUND;
 *   4. report bad input as INVALID_ARGUMENT naming the field, a wrong order of operations as
 *      FAILED_PRECONDITION, and an outage as UNAVAILABLE.
 * It keeps no owners (the proto's optional `scenario` field): it answers scenario "".
 *
 * Run it (see docs/network-plugin.md):
 *   npx tsc --outDir .state/example --rootDir . --module commonjs --target ES2022 --strict \
 *     --esModuleInterop --skipLibCheck examples/plugin/my-provider.ts
 *   node .state/example/examples/plugin/my-provider.js 50061
 */
import { PluginError, serveNetworkPlugin, type NetworkPluginHandlers, type Node__Output, type Subnet__Output, type Vpc__Output } from 'merak/plugin';

/** First VNI this provider hands out. */
const FIRST_VNI = 10_000;
/** Largest VXLAN network identifier (24 bits). */
const MAX_VNI = 16_777_215;

/** An IPv4 block as numbers: network address and size. */
interface Block {
  start: number;
  size: number;
}

interface HeldVpc {
  vpc: Vpc__Output;
  block: Block;
}

/** Dotted IPv4 → number, or undefined when it is not one. */
function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** Builds the handlers; `isBackendUp` lets a test simulate an outage of the provider's backend. */
export function createMyProviderHandlers(isBackendUp: () => boolean = () => true): NetworkPluginHandlers {
  const vpcs = new Map<string, HeldVpc>();
  const subnets = new Map<string, Subnet__Output & { block: Block }>();
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
  // The asked VNI is checked although this provider picks its own: a bad value is a caller's bug.
  const vniField = (field: string, vni: number, zeroAllowed: boolean): void => {
    if (!Number.isInteger(vni) || vni > MAX_VNI || (vni === 0 && !zeroAllowed)) throw PluginError.invalidArgument(`${field}: ${vni} is outside ${zeroAllowed ? 0 : 1}..${MAX_VNI}`);
  };
  const cidr = (scope: string, ip: string, prefix: number): Block => {
    const start = ipv4(ip);
    const fail = (rule: string) => PluginError.invalidArgument(`${scope}.ip/${scope}.prefix: "${ip}/${prefix}" is not a network address: ${rule}`);
    if (start === undefined) throw fail('the address is no dotted IPv4');
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw fail('the prefix is outside 0..32');
    const size = 2 ** (32 - prefix);
    if (start % size !== 0) throw fail('host bits are set');
    return { start, size };
  };
  const inside = (outer: Block, inner: Block) => inner.start >= outer.start && inner.start + inner.size <= outer.start + outer.size;
  const overlap = (a: Block, b: Block) => a.start < b.start + b.size && b.start < a.start + a.size;
  const nodeFields = (node: Node__Output): Node__Output => {
    const name = key('node.name', node.name);
    if (ipv4(node.ip) === undefined) throw PluginError.invalidArgument(`node.ip: ${JSON.stringify(node.ip)} is no dotted IPv4`);
    const mac = node.mac.toLowerCase();
    if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) throw PluginError.invalidArgument(`node.mac: ${JSON.stringify(node.mac)} is not six colon-separated hex octets`);
    if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) throw PluginError.invalidArgument(`node.mac: ${mac} is a multicast MAC; a node needs a unicast one`);
    return { ...node, name, mac, scenario: '' };
  };
  const sameOptional = (a: Record<string, string>, b: Record<string, string>): boolean =>
    JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
  const publicSubnet = ({ block: _block, ...subnet }: Subnet__Output & { block: Block }): Subnet__Output => subnet;

  return {
    async createVpc({ vpc }) {
      backend();
      const asked = need('vpc', vpc);
      const id = key('vpc.id', asked.id);
      vniField('vpc.vni', asked.vni, false);
      const block = cidr('vpc', asked.ip, asked.prefix);
      const held = vpcs.get(id);
      if (held) {
        // The asked VNI is ignored on purpose: this provider chose its own, so it is no conflict.
        if (held.vpc.ip === asked.ip && held.vpc.prefix === asked.prefix && sameOptional(held.vpc.optional, asked.optional)) {
          return { vpc: held.vpc };
        }
        throw PluginError.alreadyExists(`vpc ${JSON.stringify(id)} already exists as ${held.vpc.ip}/${held.vpc.prefix}`);
      }
      const created: Vpc__Output = { ...asked, id, vni: nextVni, scenario: '' };
      nextVni += 1;
      vpcs.set(id, { vpc: created, block });
      return { vpc: created };
    },

    async updateVpc({ vpc }) {
      backend();
      const asked = need('vpc', vpc);
      const held = vpcs.get(asked.id);
      if (!held) throw PluginError.notFound(`vpc.id: ${JSON.stringify(asked.id)} names no VPC`);
      const block = cidr('vpc', asked.ip, asked.prefix);
      const outside = [...subnets.values()].find((s) => s.vpc === asked.id && !inside(block, s.block));
      if (outside) throw PluginError.failedPrecondition(`vpc.ip/vpc.prefix: ${asked.ip}/${asked.prefix} would leave subnet ${outside.id} outside the VPC`);
      const updated: Vpc__Output = { ...asked, vni: held.vpc.vni, scenario: '' };
      vpcs.set(asked.id, { vpc: updated, block });
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
      vniField('subnet.vni', asked.vni, true);
      const block = cidr('subnet', asked.ip, asked.prefix);
      const vpc = vpcs.get(asked.vpc);
      if (!vpc) throw PluginError.failedPrecondition(`subnet.vpc: ${JSON.stringify(asked.vpc)} names no VPC; create it first`);
      if (!inside(vpc.block, block)) {
        throw PluginError.invalidArgument(`subnet.ip/subnet.prefix: ${asked.ip}/${asked.prefix} is not inside VPC ${asked.vpc} (${vpc.vpc.ip}/${vpc.vpc.prefix})`);
      }
      const held = subnets.get(id);
      if (held) {
        if (held.vpc === asked.vpc && held.ip === asked.ip && held.prefix === asked.prefix && sameOptional(held.optional, asked.optional)) {
          return { subnet: publicSubnet(held) };
        }
        throw PluginError.alreadyExists(`subnet ${JSON.stringify(id)} already exists as ${held.ip}/${held.prefix} in ${held.vpc}`);
      }
      const other = [...subnets.values()].find((s) => s.vpc === asked.vpc && overlap(s.block, block));
      if (other) throw PluginError.alreadyExists(`subnet.ip/subnet.prefix: ${asked.ip}/${asked.prefix} overlaps subnet ${other.id} of VPC ${asked.vpc}`);
      // This provider puts every subnet on its VPC's VNI, whatever was asked.
      const created = { ...asked, id, vni: vpc.vpc.vni, scenario: '', block };
      subnets.set(id, created);
      return { subnet: publicSubnet(created) };
    },

    async updateSubnet({ subnet }) {
      backend();
      const asked = need('subnet', subnet);
      const held = subnets.get(asked.id);
      if (!held) throw PluginError.notFound(`subnet.id: ${JSON.stringify(asked.id)} names no subnet`);
      if (asked.vpc !== held.vpc) throw PluginError.failedPrecondition(`subnet.vpc: subnet ${asked.id} belongs to VPC ${held.vpc}; a subnet cannot move: delete it and create it again`);
      // Only the optional map can change here; the CIDR and VNI stay what they are.
      const updated = { ...held, optional: asked.optional };
      subnets.set(asked.id, updated);
      return { subnet: publicSubnet(updated) };
    },

    async deleteSubnet({ id }) {
      backend();
      subnets.delete(id);
      return {};
    },

    async createNode({ node }) {
      backend();
      const asked = nodeFields(need('node', node));
      const held = nodes.get(asked.name);
      if (held) {
        if (held.ip === asked.ip && held.mac === asked.mac) return { node: held };
        throw PluginError.alreadyExists(`node ${JSON.stringify(asked.name)} already exists with ip ${held.ip}, mac ${held.mac}`);
      }
      nodes.set(asked.name, asked);
      return { node: asked };
    },

    async updateNode({ node }) {
      backend();
      const asked = nodeFields(need('node', node));
      if (!nodes.has(asked.name)) throw PluginError.notFound(`node.name: ${JSON.stringify(asked.name)} names no node`);
      nodes.set(asked.name, asked);
      return { node: asked };
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
