import { runChecked, type CommandRunner } from '../../dataplane/command';
import { PluginError } from '../errors';
import { checkIpv4, show } from '../reference/validate';
import { provisioned, waitFor, type MizarStore } from './kube';
import { checkName, isManaged, MANAGED_BY_LABEL, MANAGED_BY_VALUE, MIZAR_GROUP, MIZAR_VERSION, STATUS_INIT, statusOf, type MizarResource } from './mapping';

/**
 * The node side of the Mizar provider: what Mizar's daemon and CNI plugin do for a pod, done
 * for one Merak VM endpoint (Mizar's source, CentaurusInfra/mizar @ 73965a6):
 *
 * 1. InitializeInterfaces (mizar/daemon/interface_service.py): make the veth pair on the host
 *    (droplet); the MAC of the VM end, as the kernel gave it, is the endpoint's MAC;
 * 2. register the endpoint (EndpointOperator.create_simple_endpoints): an Endpoint resource with
 *    `type: simple`, `status: Init`, vpc, net (the subnet), mac, itf (VM end), veth (host end),
 *    droplet, hostip/hostmac (the droplet's), netns, pod and the asked `ip` ('' lets Mizar pick);
 * 3. Mizar's operator (EndpointCreate → NetOperator.allocate_endpoint) writes ip, gw, prefix and
 *    vni and moves it to `Provisioned`;
 * 4. ConsumeInterfaces / the CNI: move the VM end into the VM's namespace under its name, give it
 *    the address, prefix and default route Mizar wrote, bring both ends up. Mizar's host end goes
 *    to its XDP transit agent, which cannot run here; Merak attaches it to a Linux bridge of the
 *    endpoint's VNI in the node namespace instead (`bridge`), the reference dataplane's shape.
 */

/** What {@link addMizarEndpoint} needs. */
export interface MizarEndpointRequest {
  /** Endpoint resource name (a Kubernetes object name), e.g. `<scenario>-<node>-<vm>-<ep>`. */
  name: string;
  /** VPC and subnet names (Mizar's Vpc and Subnet resources). */
  vpc: string;
  subnet: string;
  /** The droplet (Merak node) hosting the VM: a Droplet resource of the namespace. */
  droplet: string;
  /** Node network namespace name; undefined = the namespace this process runs in. */
  nodeNetns?: string;
  /** The VM's network namespace name. */
  vmNetns: string;
  /** Interface name inside the VM. @default 'eth0' */
  ifname?: string;
  /** Host end of the veth in the node namespace (≤ 15 characters). */
  hostIfname: string;
  /** Address to ask Mizar for; undefined lets Mizar's operator allocate one from the subnet. */
  ip?: string;
  /** Linux bridge of the node namespace to attach the host end to (made when missing). @default none */
  bridge?: string;
  /** Longest wait for the operator, ms. @default 8000 */
  timeoutMs?: number;
  /** MTU of both veth ends in bytes (576..9216); undefined leaves the kernel's default (1500). */
  mtu?: number;
  /**
   * MAC to make the VM end with (unicast); undefined lets the kernel pick one. Either way the VM
   * end's MAC when made is the one registered, as Mizar's daemon registers the kernel's.
   */
  mac?: string;
}

/** What Mizar assigned and the node built. */
export interface MizarEndpointResult {
  name: string;
  ip: string;
  prefix: number;
  gw: string;
  mac: string;
  vni: number;
  ifname: string;
  hostIfname: string;
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const NETNS = /^[A-Za-z0-9_.-]{1,64}$/;

function checkPattern(field: string, value: unknown, re: RegExp, rule: string): string {
  if (typeof value !== 'string' || !re.test(value)) throw PluginError.invalidArgument(`${field}: ${show(value)} ${rule}`);
  return value;
}

/** Checks every field before anything is built or written. @throws PluginError INVALID_ARGUMENT */
export function checkEndpointRequest(r: MizarEndpointRequest): Required<Omit<MizarEndpointRequest, 'nodeNetns' | 'ip' | 'bridge' | 'mtu' | 'mac'>> & Pick<MizarEndpointRequest, 'nodeNetns' | 'ip' | 'bridge' | 'mtu' | 'mac'> {
  checkName('name', r.name);
  checkName('vpc', r.vpc);
  checkName('subnet', r.subnet);
  checkName('droplet', r.droplet);
  if (r.nodeNetns !== undefined) checkPattern('node-netns', r.nodeNetns, NETNS, 'is not a network namespace name (letters, digits, "_", "-", ".", at most 64)');
  checkPattern('vm-netns', r.vmNetns, NETNS, 'is not a network namespace name (letters, digits, "_", "-", ".", at most 64)');
  const ifname = checkPattern('ifname', r.ifname ?? 'eth0', IFNAME, 'is not an interface name (letters, digits, "_", "-", ".", at most 15)');
  checkPattern('host-ifname', r.hostIfname, IFNAME, 'is not an interface name (letters, digits, "_", "-", ".", at most 15)');
  if (r.bridge !== undefined) checkPattern('bridge', r.bridge, IFNAME, 'is not an interface name (letters, digits, "_", "-", ".", at most 15)');
  if (r.ip !== undefined) checkIpv4('ip', r.ip);
  const timeoutMs = r.timeoutMs ?? 8000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw PluginError.invalidArgument(`timeout: ${show(timeoutMs)} is not a whole number of milliseconds above 0`);
  if (r.mac !== undefined && !/^[0-9a-f][02468ace](:[0-9a-f]{2}){5}$/.test(r.mac)) throw PluginError.invalidArgument(`mac: ${show(r.mac)} is not a unicast MAC in lower-case colon form`);
  if (r.mtu !== undefined && (!Number.isInteger(r.mtu) || r.mtu < 576 || r.mtu > 9216)) throw PluginError.invalidArgument(`mtu: ${show(r.mtu)} is not a whole number of bytes in 576..9216`);
  return { ...r, ifname, timeoutMs };
}

const ipIn = (ns: string | undefined) => (ns === undefined ? ['ip'] : ['ip', '-n', ns]);

async function linkMac(runner: CommandRunner, ns: string | undefined, dev: string): Promise<string | undefined> {
  const r = await runner.run([...ipIn(ns), '-j', 'link', 'show', 'dev', dev]);
  if (r.code !== 0) return undefined;
  const links = JSON.parse(r.stdout) as { address?: string }[];
  return links[0]?.address;
}

/**
 * Registers one VM endpoint with Mizar and builds it with what Mizar assigned. Idempotent: a
 * second call finds the veth and the resource and converges the addresses.
 * @throws PluginError INVALID_ARGUMENT for a bad field (before anything is built or written),
 *   FAILED_PRECONDITION when the droplet or subnet is missing, ALREADY_EXISTS when the name is
 *   held by another endpoint, UNAVAILABLE when Mizar's operator does not provision it in time.
 * @throws CommandFailedError when an `ip` command fails.
 */
export async function addMizarEndpoint(store: MizarStore, runner: CommandRunner, request: MizarEndpointRequest): Promise<MizarEndpointResult> {
  const r = checkEndpointRequest(request);
  const droplet = await store.get('Droplet', r.droplet);
  if (droplet === undefined || !provisioned(droplet)) throw PluginError.failedPrecondition(`droplet: ${show(r.droplet)} names no provisioned Droplet in namespace ${store.namespace}; register the node first (CreateNode)`);
  const subnet = await store.get('Subnet', r.subnet);
  if (subnet === undefined) throw PluginError.failedPrecondition(`subnet: ${show(r.subnet)} names no Subnet in namespace ${store.namespace}; create it first`);
  if (subnet.spec?.vpc !== r.vpc) throw PluginError.invalidArgument(`vpc: ${show(r.vpc)} is not the VPC of subnet ${show(r.subnet)} (${show(subnet.spec?.vpc)})`);

  // 1. The veth, as Mizar's daemon makes it; the VM end's kernel MAC is the endpoint's. The VM
  // end is made straight in the VM's namespace (the node may have a device of the VM end's name).
  let mac = await linkMac(runner, r.vmNetns, r.ifname);
  if (mac === undefined) {
    const mtu = r.mtu === undefined ? [] : ['mtu', String(r.mtu)];
    const address = r.mac === undefined ? [] : ['address', r.mac];
    await runChecked(runner, [...ipIn(r.nodeNetns), 'link', 'add', r.hostIfname, ...mtu, 'type', 'veth', 'peer', 'name', r.ifname, 'netns', r.vmNetns, ...address, ...mtu]);
    mac = await linkMac(runner, r.vmNetns, r.ifname);
    if (mac === undefined) throw new Error(`veth ${r.ifname} is not in namespace ${r.vmNetns} right after it was made`);
  }

  // 2. The Endpoint resource, in Init.
  const spec = {
    type: 'simple',
    status: STATUS_INIT,
    vpc: r.vpc,
    net: r.subnet,
    ip: r.ip ?? '',
    gw: '',
    mac,
    vni: String(subnet.spec?.vni ?? ''),
    droplet: r.droplet,
    prefix: '',
    itf: r.ifname,
    veth: r.hostIfname,
    netns: `/run/netns/${r.vmNetns}`,
    hostip: String(droplet.spec?.ip ?? ''),
    hostmac: String(droplet.spec?.mac ?? ''),
    pod: r.vmNetns,
  };
  const held = await store.get('Endpoint', r.name);
  if (held !== undefined) {
    const same = isManaged(held) && held.spec?.mac === mac && held.spec?.net === r.subnet && held.spec?.droplet === r.droplet && (r.ip === undefined || held.spec?.ip === r.ip);
    if (!same) throw PluginError.alreadyExists(`name: ${show(r.name)}: Endpoint ${store.namespace}/${r.name} exists with other fields (mac ${show(held.spec?.mac)}, net ${show(held.spec?.net)}, droplet ${show(held.spec?.droplet)}); delete it first`);
  } else {
    const body: MizarResource = {
      apiVersion: `${MIZAR_GROUP}/${MIZAR_VERSION}`,
      kind: 'Endpoint',
      metadata: { name: r.name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
      spec,
    };
    await store.create('Endpoint', body);
  }

  // 3. What Mizar's operator wrote.
  const { resource, ok } = await waitFor(store, 'Endpoint', r.name, (x) => x === undefined || provisioned(x), { timeoutMs: r.timeoutMs });
  if (resource === undefined) throw PluginError.unavailable(`Endpoint ${store.namespace}/${r.name} was deleted while waiting for Mizar's operator`);
  if (!ok) {
    throw PluginError.unavailable(`Endpoint ${store.namespace}/${r.name}: Mizar's operator did not move spec.status from "Init" to "Provisioned" within ${r.timeoutMs} ms (it is ${show(statusOf(resource))}); is the operator running and the subnet ${show(r.subnet)} provisioned?`);
  }
  const got = resource.spec ?? {};
  const ip = checkIpv4('Endpoint spec.ip', got.ip);
  const gw = checkIpv4('Endpoint spec.gw', got.gw);
  const prefix = Number(got.prefix);
  const vni = Number(got.vni);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`Endpoint ${r.name}: Mizar wrote spec.prefix ${show(got.prefix)}, not a prefix length`);
  if (!Number.isInteger(vni) || vni < 1 || vni > 0xffffff) throw new Error(`Endpoint ${r.name}: Mizar wrote spec.vni ${show(got.vni)}, not a VNI`);
  const assignedMac = String(got.mac ?? mac).toLowerCase();

  // 4. The VM end with Mizar's address, MAC and gateway; the host end up (and bridged).
  const vm = ['ip', '-n', r.vmNetns];
  await runChecked(runner, [...vm, 'link', 'set', r.ifname, 'address', assignedMac]);
  await runChecked(runner, [...vm, 'addr', 'replace', `${ip}/${prefix}`, 'dev', r.ifname]);
  await runChecked(runner, [...vm, 'link', 'set', 'lo', 'up']);
  await runChecked(runner, [...vm, 'link', 'set', r.ifname, 'up']);
  if (gw !== ip) await runChecked(runner, [...vm, 'route', 'replace', 'default', 'via', gw, 'dev', r.ifname]);
  if (r.bridge !== undefined) {
    const node = ipIn(r.nodeNetns);
    if ((await runner.run([...node, 'link', 'show', 'dev', r.bridge])).code !== 0) {
      await runChecked(runner, [...node, 'link', 'add', r.bridge, 'type', 'bridge']);
    }
    await runChecked(runner, [...node, 'link', 'set', r.bridge, 'up']);
    await runChecked(runner, [...node, 'link', 'set', r.hostIfname, 'master', r.bridge]);
  }
  await runChecked(runner, [...ipIn(r.nodeNetns), 'link', 'set', r.hostIfname, 'up']);
  return { name: r.name, ip, prefix, gw, mac: assignedMac, vni, ifname: r.ifname, hostIfname: r.hostIfname };
}

/**
 * Unregisters an endpoint (deletes its resource and waits, bounded, until Mizar's operator let it
 * go) and deletes its veth. Succeeds on what is already gone.
 * @throws PluginError UNAVAILABLE when the resource outlives the bound; FAILED_PRECONDITION when it was not written by Merak.
 */
export async function deleteMizarEndpoint(
  store: MizarStore,
  runner: CommandRunner,
  request: { name: string; nodeNetns?: string; hostIfname: string; timeoutMs?: number },
): Promise<void> {
  checkName('name', request.name);
  if (request.nodeNetns !== undefined) checkPattern('node-netns', request.nodeNetns, NETNS, 'is not a network namespace name');
  checkPattern('host-ifname', request.hostIfname, IFNAME, 'is not an interface name');
  const timeoutMs = request.timeoutMs ?? 8000;
  const held = await store.get('Endpoint', request.name);
  if (held !== undefined) {
    if (!isManaged(held)) throw PluginError.failedPrecondition(`name: ${show(request.name)}: Endpoint ${store.namespace}/${request.name} was not written by Merak; Merak leaves it alone`);
    await store.delete('Endpoint', request.name);
    const { ok } = await waitFor(store, 'Endpoint', request.name, (x) => x === undefined, { timeoutMs });
    if (!ok) throw PluginError.unavailable(`Endpoint ${store.namespace}/${request.name} is still there ${timeoutMs} ms after its deletion (Mizar's operator holds it until it has cleaned up); retry`);
  }
  // Deleting the host end removes the pair, wherever the VM end is.
  const r = await runner.run([...ipIn(request.nodeNetns), 'link', 'del', request.hostIfname]);
  if (r.code !== 0 && !/Cannot find device|does not exist/.test(r.stderr)) {
    throw new Error(`ip link del ${request.hostIfname} in ${request.nodeNetns ?? 'this namespace'} failed: ${r.stderr.trim()}`);
  }
}
