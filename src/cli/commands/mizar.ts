import { Command, InvalidArgumentError } from 'commander';
import { spawnRunner } from '../../dataplane/command';
import { addMizarEndpoint, deleteMizarEndpoint } from '../../plugin/mizar/endpoint';
import { openMizarStore } from '../../plugin/mizar/kube';

// `merak mizar endpoint add|del`: the node side of the Mizar provider for one VM endpoint
// (what Mizar's daemon and CNI plugin do for a pod; src/plugin/mizar/endpoint.ts).

interface Common {
  kubeconfig?: string;
  namespace: string;
  name: string;
  nodeNetns?: string;
  hostIfname: string;
  timeout: number;
}

interface AddFlags extends Common {
  vpc: string;
  subnet: string;
  droplet: string;
  vmNetns: string;
  ifname: string;
  ip?: string;
  bridge?: string;
}

function millis(raw: string): number {
  if (!/^[1-9]\d*$/.test(raw)) throw new InvalidArgumentError(`must be a whole number of milliseconds above 0, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function common(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <path>', 'kubeconfig of the cluster running Mizar (default: KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--namespace <name>', "namespace of Mizar's resources", 'default')
    .requiredOption('--name <name>', 'Endpoint resource name (a Kubernetes object name)')
    .option('--node-netns <name>', "the node's network namespace (default: this process's)")
    .requiredOption('--host-ifname <name>', 'host end of the veth, in the node namespace')
    .option('--timeout <ms>', "longest wait for Mizar's operator", millis, 8000);
}

export function register(program: Command): void {
  const mizar = program.command('mizar').description("the Mizar provider's node side (docs/providers/mizar.md)");
  const endpoint = mizar.command('endpoint').description("register a VM endpoint with Mizar as its daemon does, and build it with what Mizar assigned");

  common(endpoint.command('add'))
    .description('make the veth, write the Endpoint resource (Init), wait for Provisioned, give the VM end the address, MAC and gateway Mizar wrote; prints them as JSON')
    .requiredOption('--vpc <name>', 'VPC (Mizar Vpc resource)')
    .requiredOption('--subnet <name>', 'subnet (Mizar Subnet resource)')
    .requiredOption('--droplet <name>', 'the node (Mizar Droplet resource)')
    .requiredOption('--vm-netns <name>', "the VM's network namespace")
    .option('--ifname <name>', 'interface name inside the VM', 'eth0')
    .option('--ip <address>', "address to ask Mizar for (default: Mizar's operator allocates one)")
    .option('--bridge <name>', 'Linux bridge of the node namespace for the host end (made when missing)')
    .action(async (f: AddFlags) => {
      const store = openMizarStore({ kubeconfig: f.kubeconfig, namespace: f.namespace });
      const result = await addMizarEndpoint(store, spawnRunner, {
        name: f.name,
        vpc: f.vpc,
        subnet: f.subnet,
        droplet: f.droplet,
        nodeNetns: f.nodeNetns,
        vmNetns: f.vmNetns,
        ifname: f.ifname,
        hostIfname: f.hostIfname,
        ip: f.ip,
        bridge: f.bridge,
        timeoutMs: f.timeout,
      });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });

  common(endpoint.command('del'))
    .description('delete the Endpoint resource (waits until Mizar let it go) and the veth; succeeds on what is gone')
    .action(async (f: Common) => {
      const store = openMizarStore({ kubeconfig: f.kubeconfig, namespace: f.namespace });
      await deleteMizarEndpoint(store, spawnRunner, { name: f.name, nodeNetns: f.nodeNetns, hostIfname: f.hostIfname, timeoutMs: f.timeout });
      process.stdout.write('{}\n');
    });
}
