/**
 * Pod mode: the node is the agent's own network namespace (as in a Kubernetes pod). The test
 * makes two "pods" (namespaces on a "pod network" bridge namespace, each with an address and a
 * default route, all made and removed by the test), runs the real activities inside each pod
 * (nsenter --net), and checks that VMs on the two pods reach each other over VXLAN between the
 * pod addresses and are routed between the subnets of their VPC by each pod's VPC router (a
 * namespace of its own, never the pod's), that a second VPC sharing a CIDR stays apart, and that
 * cleaning from inside each pod removes the recorded bridges, VXLAN devices and routers.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isRoot, netnsNames, pingFrom, rootSnapshot } from './dataplane-fixture';
import { vmNetns } from '../../src/dataplane/names';
import { VXLAN_IPV4_OVERHEAD } from '../../src/model/limits';

const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(180_000);

/** MTU of the test's pod network, bytes. */
const POD_MTU = 1400;

const ip = (...args: string[]): string => execFileSync('ip', args).toString();

function inPod(pod: string, args: string[]): string {
  return execFileSync('nsenter', [
    `--net=/run/netns/${pod}`,
    '--',
    process.execPath,
    '-r',
    path.join(__dirname, 'dataplane-ts-loader.js'),
    path.join(__dirname, 'dataplane-pod-child.ts'),
    ...args,
  ]).toString();
}

describeRoot('pod mode', () => {
  test('two pods: VMs reach each other across pods; clean inside each pod leaves only what the pod had', async () => {
    const before = rootSnapshot();
    const p = `mkt${process.pid % 100000}`;
    const podnet = `${p}-podnet`;
    const pods = [`${p}-pod0`, `${p}-pod1`];
    const stateDirs = pods.map(() => mkdtempSync(path.join(tmpdir(), 'merak-pod-')));
    const scenario = `t-pod-${process.pid}`;
    try {
      ip('netns', 'add', podnet);
      ip('-n', podnet, 'link', 'add', 'br0', 'type', 'bridge');
      ip('-n', podnet, 'link', 'set', 'br0', 'up');
      pods.forEach((pod, i) => {
        ip('netns', 'add', pod);
        // A pod network of 1400 bytes (some CNIs leave room for their own tunnel): VMs must get 1350.
        ip('link', 'add', 'eth0', 'netns', pod, 'mtu', String(POD_MTU), 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', podnet, 'mtu', String(POD_MTU));
        ip('-n', podnet, 'link', 'set', `p${i}`, 'master', 'br0', 'up');
        ip('-n', pod, 'addr', 'add', `10.99.0.${i + 2}/24`, 'dev', 'eth0');
        ip('-n', pod, 'link', 'set', 'eth0', 'up');
        ip('-n', pod, 'link', 'set', 'lo', 'up');
        ip('-n', pod, 'route', 'add', 'default', 'via', '10.99.0.1');
      });
      const out = pods.map((pod, i) =>
        JSON.parse(inPod(pod, ['up', stateDirs[i], scenario, `node-${i}`, String(i), `10.99.0.${3 - i}`, String(10 * i)])) as {
          tag: string;
          underlay: string;
          info: { vms: number; endpoints: number };
        },
      );
      expect(out.map((o) => o.underlay)).toEqual(['10.99.0.2', '10.99.0.3']);
      expect(out.map((o) => o.info)).toMatchObject([{ vms: 3, endpoints: 3 }, { vms: 3, endpoints: 3 }]);
      // Pod i: VM 0 in v's subnet s (10.5.0.2+10i), VM 1 in v's subnet t (10.6.0.2+10i), VM 2 in w's
      // subnet u, t's CIDR (10.6.0.7+10i).
      const vm = (pod: number, i: number) => vmNetns(out[pod]!.tag, `node-${pod}`, i);
      expect(pingFrom(vm(0, 0), '10.5.0.12')).toBe(true); // same subnet, across pods: both pods' VXLAN devices
      expect(pingFrom(vm(0, 0), '10.6.0.2')).toBe(true); // another subnet, same pod: pod 0's router of v
      expect(pingFrom(vm(0, 0), '10.6.0.12')).toBe(true); // another subnet, across pods
      expect(pingFrom(vm(1, 1), '10.5.0.2')).toBe(true); // and back, routed by pod 1's router
      expect(pingFrom(vm(0, 2), '10.6.0.17')).toBe(true); // w, across pods
      // Endpoints take the pod device's MTU minus VXLAN's 50 bytes: a full-size don't-fragment
      // packet crosses pods, a larger one is refused at the sender with the MTU named.
      const vmMtu = POD_MTU - VXLAN_IPV4_OVERHEAD;
      for (const [pod, i] of [[0, 0], [1, 1]] as const) {
        expect((JSON.parse(ip('-n', vm(pod, i), '-j', 'link', 'show', 'dev', 'eth0')) as Array<{ mtu: number }>)[0]!.mtu).toBe(vmMtu);
      }
      const df = (from: string, to: string, payload: number) =>
        spawnSync('nsenter', [`--net=/run/netns/${from}`, '--', 'ping', '-c', '1', '-W', '2', '-M', 'do', '-s', String(payload), to], { encoding: 'utf8' });
      expect(df(vm(0, 0), '10.6.0.12', vmMtu - 28).status).toBe(0);
      const big = df(vm(0, 0), '10.5.0.12', 1472);
      expect({ status: big.status, said: `${big.stdout}${big.stderr}`.includes(`mtu=${vmMtu}`) }).toEqual({ status: 1, said: true });
      expect(pingFrom(vm(0, 0), '10.6.0.17')).toBe(false); // v never reaches w, whose CIDR it shares
      expect(pingFrom(vm(0, 2), '10.5.0.12')).toBe(false); // w has no route to v's s
      expect(pingFrom(vm(1, 2), '10.6.0.12')).toBe(false); // nor reaches t's VM at the address it would have in u
      const podLinks = ip('-n', pods[0], '-br', 'link');
      expect(podLinks).toContain(`m${out[0].tag}x`);
      // The routers are namespaces of their own: the pod's namespace has no address of a VPC.
      expect(ip('-n', pods[0], '-4', '-br', 'addr').split('\n').filter((l) => l.trim() !== '').map((l) => l.split(/[\s@]+/)[0]).sort()).toEqual(['eth0', 'lo']);

      pods.forEach((pod, i) => inPod(pod, ['clean', stateDirs[i], scenario]));
      for (const pod of pods) {
        const left = (JSON.parse(ip('-n', pod, '-j', 'link', 'show')) as Array<{ ifname: string }>).map((l) => l.ifname).sort();
        expect(left).toEqual(['eth0', 'lo']);
      }
      expect(netnsNames().filter((n) => n.startsWith(`mk-${out[0].tag}`) || n.startsWith(`mk-${out[1].tag}`))).toEqual([]);
    } finally {
      // After a failed assertion the pods' VMs and routers are still there: clean them by their
      // records (inside each pod, as the test does) before the pods go.
      pods.forEach((pod, i) => {
        if (netnsNames().includes(pod)) {
          try {
            inPod(pod, ['clean', stateDirs[i]!, scenario]);
          } catch {
            // reported by the leak checks below
          }
        }
      });
      for (const ns of [...pods, podnet]) if (netnsNames().includes(ns)) ip('netns', 'del', ns);
      stateDirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
    }
    expect(netnsNames().filter((n) => n.startsWith(p))).toEqual([]);
    expect(rootSnapshot()).toEqual(before);
  });
});
