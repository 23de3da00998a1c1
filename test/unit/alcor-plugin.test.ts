/**
 * The alcor network plugin's handlers against a recording stand-in for Alcor's REST API that
 * answers the way Alcor 21f11b5 was observed to (../shared/providers/alcor/README.md): a POST
 * with an existing id overwrites (a VPC gets a new segmentation id), VPC DELETE never checks for
 * subnets, refusals are 500s with a message, unknown GETs are 200 with a null body. The same
 * handlers run against the real Alcor in test/integration/alcor.test.ts.
 */
import { Status } from '../../src/plugin/errors';
import { createAlcorPlugin } from '../../src/plugin/alcor/plugin';
import { AlcorHttpError, AlcorUnreachableError, alcorEndpointsAt, type AlcorRest, type AlcorService } from '../../src/plugin/alcor/rest';
import { parseCidr } from '../../src/model/ipv4';
import { runConformance } from '../../src/plugin/conformance';
import { inProcess } from '../helpers/conformance-plugins';

interface Call {
  method: string;
  service: AlcorService;
  path: string;
  body?: unknown;
}

const cidrRange = (cidr: string): [number, number] => {
  const c = parseCidr(cidr);
  return [c.network, c.network + 2 ** (32 - c.prefix) - 1];
};
const cidrsOverlap = (a: string, b: string): boolean => {
  const [a0, a1] = cidrRange(a);
  const [b0, b1] = cidrRange(b);
  return a0 <= b1 && b0 <= a1;
};
const cidrWithin = (inner: string, outer: string): boolean => {
  const [i0, i1] = cidrRange(inner);
  const [o0, o1] = cidrRange(outer);
  return o0 <= i0 && i1 <= o1;
};

/** A small Alcor: VPCs, subnets, routers and nodes in maps, with its observed quirks. */
function fakeAlcor() {
  const vpcs = new Map<string, Record<string, unknown>>();
  const subnets = new Map<string, Record<string, unknown>>();
  const routers = new Map<string, { id: string; gateway_ports: string[] }>();
  const nodes = new Map<string, Record<string, unknown>>();
  const calls: Call[] = [];
  let nextSeg = 2912256;
  let down = false;
  const fail = (method: string, path: string, status: number, message: string) => new AlcorHttpError(method, path, status, message);
  const rest: AlcorRest = {
    endpoints: alcorEndpointsAt('127.0.0.1'),
    async call(method, service, path, body) {
      calls.push({ method, service, path, body });
      if (down) throw new AlcorUnreachableError(method, path, 'fetch failed: ECONNREFUSED');
      const [p, query] = path.split('?');
      const parts = p!.split('/').filter(Boolean).map(decodeURIComponent);
      const ok = (b: unknown, status = 200) => ({ status, body: b });
      if (service === 'vpc' && parts[2] === 'vpcs') {
        const id = parts[3];
        if (method === 'GET' && id) return ok({ network: vpcs.get(id) ?? null });
        if (method === 'GET') return ok({ vpcs: [...vpcs.values()] });
        if (method === 'POST') {
          const n = (body as { network: Record<string, unknown> }).network;
          // Overwrites, and always allocates a new segmentation id (the old one leaks).
          const v = { ...n, 'provider:segmentation_id': nextSeg++, mtu: 1450, admin_state_up: true, shared: false };
          vpcs.set(n.id as string, v);
          return ok({ network: v }, 201);
        }
        if (method === 'PUT') {
          if (!vpcs.has(id!)) throw fail(method, path, 404, 'Vpc not found');
          const v = { ...vpcs.get(id!), ...(body as { network: object }).network };
          vpcs.set(id!, v);
          return ok({ network: v });
        }
        if (method === 'DELETE') {
          // Never checks for subnets.
          return ok({ id: vpcs.delete(id!) ? id : null });
        }
      }
      if (service === 'subnet' && parts[2] === 'subnets') {
        const id = parts[3];
        if (method === 'GET' && id) return ok({ subnet: subnets.get(id) ?? null });
        if (method === 'GET') {
          const net = new URLSearchParams(query).get('network_id');
          return ok({ subnets: [...subnets.values()].filter((s) => !net || s.network_id === net) });
        }
        if (method === 'POST') {
          const s = (body as { subnet: Record<string, unknown> }).subnet;
          if (!vpcs.has(s.network_id as string)) throw fail(method, path, 500, 'fallback request');
          // SubnetServiceImp.checkIfCidrOverlap: inside the VPC's CIDR, overlapping none of its subnets.
          if (!cidrWithin(s.cidr as string, vpcs.get(s.network_id as string)!.cidr as string)) throw fail(method, path, 500, 'cidr is not within network cidr');
          if ([...subnets.values()].some((o) => o.network_id === s.network_id && cidrsOverlap(o.cidr as string, s.cidr as string))) throw fail(method, path, 500, 'cidr overlap with other subnets in the same network');
          const gw = (s.cidr as string).replace(/\.0\/\d+$/, '.1');
          const v = { ...s, gateway_ip: gw, gatewayPortId: `gw-${s.id}`, gateway_port_detail: { gateway_macAddress: 'aa:bb:cc:00:00:01', gateway_port_id: `gw-${s.id}` } };
          subnets.set(s.id as string, v);
          return ok({ subnet: v }, 201);
        }
        if (method === 'PUT') {
          if (!subnets.has(id!)) throw fail(method, path, 500, 'Subnet not found');
          const patch = (body as { subnet: Record<string, unknown> }).subnet;
          // A PUT without gateway_ip clears the gateway.
          const v = { ...subnets.get(id!), ...patch, gateway_ip: patch.gateway_ip ?? null };
          subnets.set(id!, v);
          return ok({ subnet: v });
        }
        if (method === 'DELETE') return ok({ id: subnets.delete(id!) ? id : null });
      }
      if (service === 'route' && parts[2] === 'routers') {
        const id = parts[3];
        if (method === 'GET' && id) return ok({ router: routers.get(id) ?? null });
        if (method === 'POST') {
          const r = (body as { router: { id: string } }).router;
          routers.set(r.id, { id: r.id, gateway_ports: [] });
          return ok({ router: routers.get(r.id) });
        }
        if (method === 'PUT' && parts[4] === 'add_router_interface') {
          const s = subnets.get((body as { subnet_id: string }).subnet_id)!;
          routers.get(id!)!.gateway_ports.push(s.gatewayPortId as string);
          return ok({ id });
        }
        if (method === 'PUT' && parts[4] === 'remove_router_interface') {
          const r = routers.get(id!)!;
          r.gateway_ports = r.gateway_ports.filter((g) => g !== `gw-${(body as { subnet_id: string }).subnet_id}`);
          return ok({ id });
        }
        if (method === 'DELETE') return ok({ id: routers.delete(id!) ? id : null });
      }
      if (service === 'node' && parts[0] === 'nodes') {
        const id = parts[1];
        if (method === 'GET' && id) return ok({ host_info: nodes.get(id) ?? null });
        if (method === 'GET') {
          const ip = new URLSearchParams(query).get('local_ip');
          return ok({ nodeInfos: [...nodes.values()].filter((n) => !ip || n.local_ip === ip) });
        }
        if (method === 'POST' || method === 'PUT') {
          const n = (body as { host_info: Record<string, unknown> }).host_info;
          if (method === 'PUT' && !nodes.has(id!)) throw fail(method, path, 500, 'The node to update or delete is not existing.');
          if (!/^\d+\.\d+\.\d+\.\d+$/.test(String(n.local_ip))) throw fail(method, path, 500, 'Invalid IP address format');
          nodes.set(n.node_id as string, n);
          return ok({ host_info: n }, method === 'POST' ? 201 : 200);
        }
        if (method === 'DELETE') {
          if (!nodes.delete(id!)) throw fail(method, path, 500, 'The node to update or delete is not existing.');
          return ok(`{Node(Node) Id: ${id}}`);
        }
      }
      throw new Error(`fake Alcor: no route for ${method} ${service} ${path}`);
    },
  };
  return {
    rest,
    calls,
    vpcs,
    subnets,
    routers,
    nodes,
    setDown: (d: boolean) => {
      down = d;
    },
  };
}

const vpcReq = (id = 'vpc-a', ip = '10.10.0.0', prefix = 16) => ({ vpc: { id, vni: 4242, ip, prefix, optional: {}, scenario: '' } });
const subnetReq = (id = 'sub-a', ip = '10.10.1.0', prefix = 24, vpc = 'vpc-a') => ({ subnet: { id, vpc, vni: 0, ip, prefix, optional: {}, scenario: '' } });
const nodeReq = (name = 'node-a', ip = '100.64.0.1', mac = '02:00:00:00:00:01') => ({ node: { name, ip, mac, optional: {}, scenario: '' } });
const posts = (a: ReturnType<typeof fakeAlcor>) => a.calls.filter((c) => c.method === 'POST');

function setup() {
  const alcor = fakeAlcor();
  const { handlers, stateHandler } = createAlcorPlugin({ rest: alcor.rest, project: 'p1' });
  return { alcor, h: handlers, state: stateHandler };
}

async function status(p: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code: number }).code;
  }
}

describe('alcor plugin: what Alcor assigns is what Merak gets', () => {
  test('CreateVpc answers Alcor\'s segmentation id, not the VNI asked for, and makes the VPC\'s router', async () => {
    const { alcor, h } = setup();
    const { vpc } = await h.createVpc(vpcReq());
    expect(vpc).toMatchObject({ id: 'vpc-a', vni: 2912256, ip: '10.10.0.0', prefix: 16 });
    expect(vpc!.optional).toMatchObject({ 'alcor.segmentation_id': '2912256', 'alcor.router_id': 'merak-router-vpc-a' });
    expect(alcor.routers.has('merak-router-vpc-a')).toBe(true);
    const post = posts(alcor).find((c) => c.service === 'vpc')!;
    expect(post.path).toBe('/project/p1/vpcs');
    expect(post.body).toMatchObject({ network: { id: 'vpc-a', cidr: '10.10.0.0/16', project_id: 'p1', 'provider:network_type': 'vxlan' } });
  });

  test('CreateSubnet attaches the subnet to the VPC\'s router and answers the gateway Alcor chose', async () => {
    const { alcor, h } = setup();
    await h.createVpc(vpcReq());
    const { subnet } = await h.createSubnet(subnetReq());
    expect(subnet).toMatchObject({ id: 'sub-a', vpc: 'vpc-a', vni: 2912256, ip: '10.10.1.0', prefix: 24 });
    expect(subnet!.optional).toMatchObject({ 'alcor.gateway_ip': '10.10.1.1', 'alcor.gateway_mac': 'aa:bb:cc:00:00:01' });
    expect(alcor.routers.get('merak-router-vpc-a')!.gateway_ports).toEqual(['gw-sub-a']);
  });

  test('CreateNode registers the node with its underlay address as local_ip and data-path-ip', async () => {
    const { alcor, h } = setup();
    await h.createNode(nodeReq());
    expect(alcor.nodes.get('node-a')).toMatchObject({ node_id: 'node-a', node_name: 'node-a', local_ip: '100.64.0.1', 'data-path-ip': '100.64.0.1', mac_address: '02:00:00:00:00:01' });
  });
});

describe('alcor plugin: duplicates Alcor would overwrite silently', () => {
  test('a VPC created twice with the same fields is one VPC with one VNI: the second create sends nothing', async () => {
    const { alcor, h } = setup();
    const first = await h.createVpc(vpcReq());
    const n = posts(alcor).length;
    const second = await h.createVpc(vpcReq());
    expect(second.vpc!.vni).toBe(first.vpc!.vni);
    expect(posts(alcor).length).toBe(n);
  });

  test('a VPC id taken with another CIDR is ALREADY_EXISTS, and Alcor keeps its VPC', async () => {
    const { alcor, h } = setup();
    await h.createVpc(vpcReq());
    const n = posts(alcor).length;
    expect(await status(h.createVpc(vpcReq('vpc-a', '10.20.0.0')))).toBe(Status.ALREADY_EXISTS);
    expect(posts(alcor).length).toBe(n);
    expect(alcor.vpcs.get('vpc-a')!.cidr).toBe('10.10.0.0/16');
  });

  test('subnets and nodes likewise', async () => {
    const { alcor, h } = setup();
    await h.createVpc(vpcReq());
    await h.createSubnet(subnetReq());
    await h.createNode(nodeReq());
    const n = posts(alcor).length;
    expect(await status(h.createSubnet(subnetReq()))).toBe('ok');
    expect(await status(h.createNode(nodeReq()))).toBe('ok');
    expect(posts(alcor).length).toBe(n);
    expect(await status(h.createSubnet(subnetReq('sub-a', '10.10.2.0')))).toBe(Status.ALREADY_EXISTS);
    expect(await status(h.createNode(nodeReq('node-a', '100.64.0.9')))).toBe(Status.ALREADY_EXISTS);
    // Alcor keeps any number of nodes with one address; the plugin does not.
    expect(await status(h.createNode(nodeReq('node-b', '100.64.0.1', '02:00:00:00:00:02')))).toBe(Status.ALREADY_EXISTS);
    expect(posts(alcor).length).toBe(n);
  });

  test('a node registered without data-path-ip (Alcor then pushes no neighbor state for it) is repaired', async () => {
    const { alcor, h } = setup();
    alcor.nodes.set('node-a', { node_id: 'node-a', node_name: 'node-a', local_ip: '100.64.0.1', mac_address: '02:00:00:00:00:01', 'data-path-ip': null });
    await h.createNode(nodeReq());
    expect(alcor.nodes.get('node-a')!['data-path-ip']).toBe('100.64.0.1');
  });
});

describe("alcor plugin: deletes Alcor does not check, updates that need care", () => {
  test('a VPC with subnets is not deleted (FAILED_PRECONDITION); without them it goes with its router', async () => {
    const { alcor, h } = setup();
    await h.createVpc(vpcReq());
    await h.createSubnet(subnetReq());
    expect(await status(h.deleteVpc({ id: 'vpc-a', scenario: '' }))).toBe(Status.FAILED_PRECONDITION);
    expect(alcor.calls.some((c) => c.method === 'DELETE' && c.service === 'vpc')).toBe(false);
    expect(alcor.vpcs.has('vpc-a')).toBe(true);
    await h.deleteSubnet({ id: 'sub-a', scenario: '' });
    expect(alcor.routers.get('merak-router-vpc-a')!.gateway_ports).toEqual([]);
    await h.deleteVpc({ id: 'vpc-a', scenario: '' });
    expect(alcor.vpcs.size + alcor.routers.size + alcor.subnets.size).toBe(0);
  });

  test('deletes of what does not exist succeed', async () => {
    const { h } = setup();
    expect(await status(h.deleteVpc({ id: 'nope', scenario: '' }))).toBe('ok');
    expect(await status(h.deleteSubnet({ id: 'nope', scenario: '' }))).toBe('ok');
    expect(await status(h.deleteNode({ name: 'nope', scenario: '' }))).toBe('ok');
  });

  test('a subnet update resends the gateway (a PUT without it would clear it)', async () => {
    const { alcor, h } = setup();
    await h.createVpc(vpcReq());
    await h.createSubnet(subnetReq());
    await h.updateSubnet(subnetReq('sub-a', '10.10.0.0', 23));
    const put = alcor.calls.find((c) => c.method === 'PUT' && c.service === 'subnet')!;
    expect(put.body).toMatchObject({ subnet: { cidr: '10.10.0.0/23', gateway_ip: '10.10.1.1' } });
    expect(alcor.subnets.get('sub-a')!.gateway_ip).toBe('10.10.1.1');
  });

  test('a VPC update resends every boolean (Alcor writes one left out as false)', async () => {
    const { alcor, h } = setup();
    await h.createVpc(vpcReq());
    await h.updateVpc(vpcReq('vpc-a', '10.0.0.0', 8));
    const put = alcor.calls.find((c) => c.method === 'PUT' && c.service === 'vpc')!;
    expect(put.body).toMatchObject({ network: { cidr: '10.0.0.0/8', admin_state_up: true, shared: false, port_security_enabled: false, 'router:external': false, is_default: false } });
    expect(alcor.vpcs.get('vpc-a')!.admin_state_up).toBe(true);
  });

  test('updates of what does not exist are NOT_FOUND; a subnet cannot change VPC', async () => {
    const { h } = setup();
    expect(await status(h.updateVpc(vpcReq('nope')))).toBe(Status.NOT_FOUND);
    expect(await status(h.updateSubnet(subnetReq('nope')))).toBe(Status.NOT_FOUND);
    expect(await status(h.updateNode(nodeReq('nope')))).toBe(Status.NOT_FOUND);
    await h.createVpc(vpcReq());
    await h.createVpc(vpcReq('vpc-b', '10.20.0.0'));
    await h.createSubnet(subnetReq());
    expect(await status(h.updateSubnet(subnetReq('sub-a', '10.10.1.0', 24, 'vpc-b')))).toBe(Status.FAILED_PRECONDITION);
  });
});

describe("alcor plugin: Alcor's refusals as statuses", () => {
  test('a subnet of a VPC Alcor does not hold is FAILED_PRECONDITION, before any POST', async () => {
    const { alcor, h } = setup();
    expect(await status(h.createSubnet(subnetReq()))).toBe(Status.FAILED_PRECONDITION);
    expect(posts(alcor)).toEqual([]);
  });

  test("Alcor's 500 for an overlapping subnet is ALREADY_EXISTS, with Alcor's words in the message", async () => {
    const { h } = setup();
    await h.createVpc(vpcReq());
    await h.createSubnet(subnetReq());
    const err = await h.createSubnet(subnetReq('sub-b')).then(() => undefined, (e: unknown) => e as { code: number; message: string });
    expect(err!.code).toBe(Status.ALREADY_EXISTS);
    expect(err!.message).toContain('cidr overlap with other subnets in the same network');
  });

  test('Alcor down is UNAVAILABLE (retried by Merak)', async () => {
    const { alcor, h } = setup();
    alcor.setDown(true);
    expect(await status(h.createVpc(vpcReq()))).toBe(Status.UNAVAILABLE);
  });

  test('bad fields are refused before Alcor is called, naming the field', async () => {
    const { alcor, h } = setup();
    const bad = async (p: Promise<unknown>, field: string) => {
      const err = await p.then(() => undefined, (e: unknown) => e as { code: number; message: string });
      expect(err!.code).toBe(Status.INVALID_ARGUMENT);
      expect(err!.message).toContain(field);
    };
    await bad(h.createVpc(vpcReq('vpc a')), 'vpc.id');
    await bad(h.createVpc(vpcReq('vpc/a')), 'vpc.id');
    await bad(h.createVpc(vpcReq('vpc-a', '10.10.0.1', 16)), 'vpc');
    await bad(h.createNode(nodeReq('n', '300.1.1.1')), 'node.ip');
    await bad(h.createNode(nodeReq('n', '100.64.0.1', 'zz')), 'node.mac');
    // Alcor assigns its own segmentation id, yet an asked VNI outside the proto's range is a bad request.
    await bad(h.createVpc({ vpc: { ...vpcReq().vpc, vni: 0 } }), 'vpc.vni');
    await bad(h.createVpc({ vpc: { ...vpcReq().vpc, vni: 16_777_216 } }), 'vpc.vni');
    await bad(h.updateVpc({ vpc: { ...vpcReq().vpc, vni: 16_777_216 } }), 'vpc.vni');
    await bad(h.createSubnet({ subnet: { ...subnetReq().subnet, vni: 16_777_216 } }), 'subnet.vni');
    await bad(h.createSubnet({ subnet: { ...subnetReq().subnet, vni: -1 } }), 'subnet.vni');
    expect(alcor.calls).toEqual([]);
  });
});

describe('alcor plugin: state', () => {
  test('GetState lists what Alcor holds, VNIs included', async () => {
    const { h, state } = setup();
    await h.createVpc(vpcReq());
    await h.createSubnet(subnetReq());
    await h.createNode(nodeReq());
    const s = await state.getState({});
    expect(s.vpcs).toEqual([{ id: 'vpc-a', vni: 2912256, ip: '10.10.0.0', prefix: 16, optional: { 'alcor.segmentation_id': '2912256', 'alcor.network_type': 'vxlan', 'alcor.router_id': 'merak-router-vpc-a' } }]);
    expect(s.subnets).toEqual([
      { id: 'sub-a', vpc: 'vpc-a', vni: 2912256, ip: '10.10.1.0', prefix: 24, optional: { 'alcor.gateway_ip': '10.10.1.1', 'alcor.gateway_mac': 'aa:bb:cc:00:00:01', 'alcor.gateway_port_id': 'gw-sub-a' } },
    ]);
    expect(s.nodes).toEqual([{ name: 'node-a', ip: '100.64.0.1', mac: '02:00:00:00:00:01', optional: {} }]);
  });

  test('every Create and Update answers exactly what GetState then lists (a caller\'s optional keys are checked, not held)', async () => {
    const { h, state } = setup();
    const withOptional = <R extends Record<string, Record<string, unknown>>>(r: R, optional: Record<string, string>): R =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { ...v, optional }])) as unknown as R;
    const answers = {
      vpc: (await h.createVpc(withOptional(vpcReq(), { mine: 'a' }))).vpc!,
      subnet: (await h.createSubnet(withOptional(subnetReq(), { mine: '1' }))).subnet!,
      node: (await h.createNode(withOptional(nodeReq(), { mine: 'n' }))).node!,
    };
    const updated = {
      vpc: (await h.updateVpc({ vpc: { ...vpcReq().vpc, vni: answers.vpc.vni!, optional: { mine: 'a2' } } })).vpc!,
      subnet: (await h.updateSubnet({ subnet: { ...subnetReq().subnet, vni: answers.subnet.vni!, optional: { mine: '12' } } })).subnet!,
      node: (await h.updateNode({ node: { ...nodeReq().node, optional: { mine: 'n2' } } })).node!,
    };
    for (const a of [answers, updated]) {
      expect(JSON.stringify(a)).not.toContain('mine');
    }
    const s = await state.getState({});
    expect(s.vpcs).toEqual([updated.vpc]);
    expect(s.subnets).toEqual([updated.subnet]);
    expect(s.nodes).toEqual([updated.node]);
    expect(updated).toEqual(answers);
    // A bad optional map is still refused, naming the field.
    expect(await status(h.createVpc(withOptional(vpcReq('vpc-b'), { k: 5 as unknown as string })))).toBe(Status.INVALID_ARGUMENT);
  });

  test('revision is 0 before any change and grows with every change Alcor accepts, not with reads or no-op creates', async () => {
    const { h, state } = setup();
    const rev = async () => Number((await state.getState({})).revision);
    expect(await rev()).toBe(0);
    await h.createVpc(vpcReq());
    const r1 = await rev();
    expect(r1).toBeGreaterThan(0);
    await h.createVpc(vpcReq());
    expect(await rev()).toBe(r1);
    await h.createSubnet(subnetReq());
    const r2 = await rev();
    expect(r2).toBeGreaterThan(r1);
    await h.deleteSubnet({ id: 'sub-a', scenario: '' });
    const r3 = await rev();
    expect(r3).toBeGreaterThan(r2);
    expect(await rev()).toBe(r3);
    expect(await status(h.createSubnet(subnetReq('sub-x', '10.99.0.0', 24, 'no-vpc')))).toBe(Status.FAILED_PRECONDITION);
    expect(await rev()).toBe(r3);
  });
});

describe('alcor plugin: one change to Alcor at a time', () => {
  test("mutating calls never overlap (Alcor's shared transaction objects), reads do", async () => {
    const alcor = fakeAlcor();
    let inFlight = 0;
    let most = 0;
    let readsAtOnce = 0;
    let mostReads = 0;
    const slow: typeof alcor.rest = {
      endpoints: alcor.rest.endpoints,
      async call(method, service, path, body) {
        const mutating = method !== 'GET';
        if (mutating) most = Math.max(most, ++inFlight);
        else mostReads = Math.max(mostReads, ++readsAtOnce);
        await new Promise((r) => setTimeout(r, 5));
        try {
          return await alcor.rest.call(method, service, path, body);
        } finally {
          if (mutating) inFlight--;
          else readsAtOnce--;
        }
      },
    };
    const { handlers: h } = createAlcorPlugin({ rest: slow, project: 'p1' });
    await Promise.all([1, 2, 3, 4, 5, 6].map((i) => h.createNode(nodeReq(`node-${i}`, `100.64.0.${i}`, `02:00:00:00:00:0${i}`))));
    await Promise.all([1, 2, 3, 4, 5, 6].map((i) => h.deleteNode({ name: `node-${i}`, scenario: '' })));
    expect(alcor.nodes.size).toBe(0);
    expect(most).toBe(1);
    expect(mostReads).toBeGreaterThan(1);
  });

  test('a delete Alcor answers "not existing" (a retry after a lost answer) succeeds', async () => {
    const alcor = fakeAlcor();
    const { handlers: h } = createAlcorPlugin({ rest: alcor.rest, project: 'p1' });
    await h.createNode(nodeReq());
    // Alcor deletes it between the plugin's read and its DELETE.
    const racing: typeof alcor.rest = {
      endpoints: alcor.rest.endpoints,
      async call(method, service, path, body) {
        if (method === 'DELETE') alcor.nodes.delete('node-a');
        return alcor.rest.call(method, service, path, body);
      },
    };
    const { handlers: h2 } = createAlcorPlugin({ rest: racing, project: 'p1' });
    expect(await status(h2.deleteNode({ name: 'node-a', scenario: '' }))).toBe('ok');
    void h;
  });
});


describe('alcor plugin: merak plugin conformance, in process against the stand-in Alcor', () => {
  test('passes every rule it is asked; skips only the asked-VNI and owner rules; leaves the stand-in empty', async () => {
    const { alcor, h, state } = setup();
    const report = await runConformance(inProcess(h, state), { address: 'in-process', prefix: 'mkc-alcor' });
    const fails = report.results.filter((r) => r.status === 'fail').map((r) => ({ id: r.rule.id, reason: r.reason }));
    expect(fails).toEqual([]);
    const skipped = report.results.filter((r) => r.status === 'skip').map((r) => r.rule.id);
    // Alcor assigns its own segmentation id (the asked VNI is no field it holds) and keeps no owners.
    expect(skipped).toEqual(['vpc.create.conflict-vni', 'vpc.create.vni-in-use', 'owner.create', 'owner.update', 'owner.delete']);
    expect(report.counts.pass).toBeGreaterThan(30);
    expect([alcor.vpcs.size, alcor.subnets.size, alcor.nodes.size, alcor.routers.size]).toEqual([0, 0, 0, 0]);
  });
});
