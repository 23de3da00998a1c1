/**
 * scenarioWorkflow: one long-lived reconciler per emulated cloud (workflow id `merak-<name>`).
 *
 * Build: stage 1 creates the network plugin's objects (VPCs, then subnets, then nodes); stage 2
 * starts one child nodeWorkflow per node to make its VMs and endpoints; then the connectivity
 * tests run. Every plugin object is recorded in `built` *before* its Create is sent, so a Create
 * that timed out after the plugin acted is still undone (the plugin's Delete of a missing object
 * succeeds). Any failure while building deletes the nodes' VMs, then unwinds `built` in reverse,
 * and fails the workflow with the cause.
 *
 * Then it waits for messages: `scale` (signal, or update with a validator), `apply` (a whole new
 * spec, reconciled by diff), `test`, and `teardown`/cancellation, which delete everything in
 * reverse and end the workflow. It continues as new when Temporal suggests it, after running
 * handlers finish, carrying counts and ranges only.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentActivities } from '../activities/agent/activities';
import type { ComputeActivities, PluginTarget } from '../activities/compute';
import type { TestingActivities } from '../activities/testing/activities';
import { MERAK_SCENARIO } from '../temporal/search-attributes';
import { formatIpv4, parseCidr } from '../model/ipv4';
import { forEachBounded } from '../model/concurrency';
import { diffSpecs } from '../model/diff';
import { nodeMac } from '../model/mac';
import { applySignal, resultsQuery, scaleSignal, scaleUpdate, statusQuery, teardownSignal, testSignal } from './messages';
import type { BuiltObject, ScaleRequest, ScaleResult, ScenarioPhase, ScenarioStatus, TestRequest, TestResult } from '../model/status';
import { COMPUTE_TASK_QUEUE, agentQueueOf, nodeWorkflowId, scenarioWorkflowId } from '../model/queues';
import { nodeWorkflow } from './node';
import { pairOptionsFromSpec, selectPairs } from '../model/pairs';
import {
  chooseBlockSize,
  endpointAddress,
  nodeUnderlayIp,
  placeVms,
  planSubnets,
  reserveAddresses,
  AddressSpaceError,
  type AddressBook,
} from '../model/plan';
import { MAX_VMS_PER_NODE, parseSpec, SpecError, type NodeSpec, type ScenarioInput, type ScenarioSpec, type TestKind } from '../model/spec';

/** Plugin calls in flight at once per stage. */
const PLUGIN_FAN_OUT = 16;
/** Nodes per createNodes activity when a scenario creates more than this many at once. */
const NODE_BATCH = 50;
/**
 * Patch marker: more than NODE_BATCH nodes are created NODE_BATCH per activity instead of one
 * activity each. Histories recorded before it replay the old way.
 */
const NODE_BATCH_PATCH = 'merak-node-batch';
/** Patch marker: more than NODE_BATCH nodes are deleted NODE_BATCH per activity (teardown, apply). */
const NODE_BATCH_DELETE_PATCH = 'merak-node-batch-delete';
/** Node workflows in flight at once. */
const CHILD_FAN_OUT = 32;
/**
 * Node workflows in flight at once with `agentPool` (dataplane `none`): each is a few state-file
 * updates, so the server's round trips, not the agent, set the pace and more may overlap.
 */
const POOL_CHILD_FAN_OUT = 128;
/** How long one agent activity may take, retries included, before its node counts as gone. */
const AGENT_ACTIVITY_TIMEOUT_MS = 10 * 60_000;

/** What a run hands to the next one when it continues as new: counts and ranges only. */
export interface ScenarioCarryOver {
  input: ScenarioInput;
  built: BuiltObject[];
  generation: number;
  cleanupErrors: string[];
  /** Stable node slots (MACs, underlay addresses): a node keeps its slot for the scenario's life. */
  slots: Record<string, number>;
  /** VMs that exist per node. */
  vms: Record<string, number>;
  /** VMs wanted per node (placement, then scale). */
  desired: Record<string, number>;
  book: AddressBook;
  results: TestResult[];
  testsPending: TestKind[] | null;
}

export type ScenarioWorkflowArg = ScenarioInput | { resume: ScenarioCarryOver };

export interface ScenarioOutcome {
  name: string;
  phase: ScenarioPhase;
  /** Plugin objects deleted by the teardown. */
  deleted: number;
  cleanupErrors: string[];
}

function isResume(arg: ScenarioWorkflowArg): arg is { resume: ScenarioCarryOver } {
  return typeof arg === 'object' && arg !== null && 'resume' in arg;
}

function validate(input: unknown): ScenarioSpec {
  try {
    return parseSpec(input);
  } catch (err) {
    if (err instanceof SpecError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidSpec', err.issues);
    throw err;
  }
}

function errorText(err: unknown): string {
  let text = err instanceof Error ? err.message : String(err);
  let cause = err instanceof Error ? (err as { cause?: unknown }).cause : undefined;
  for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (cause.message && !text.includes(cause.message)) text = `${text}: ${cause.message}`;
    cause = (cause as { cause?: unknown }).cause;
  }
  return text;
}

/** The endpoint plugin a node uses: an executable's name, else the dataplane's built-in. */
export function endpointPluginOf(spec: ScenarioSpec): string {
  return spec.endpointPlugin ?? spec.dataplane;
}

/** Checks a scale request against a spec; returns the refusal, or undefined when it is fine. */
export function scaleProblem(spec: ScenarioSpec, req: ScaleRequest): string | undefined {
  const v = req?.vmsPerNode;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_VMS_PER_NODE) {
    return `vmsPerNode: value ${JSON.stringify(v)} must be a whole number between 0 and ${MAX_VMS_PER_NODE}`;
  }
  if (req.node !== undefined && !spec.nodes.some((n) => n.name === req.node)) {
    return `node: value ${JSON.stringify(req.node)} is not a node of scenario ${spec.name} (nodes: ${spec.nodes.map((n) => n.name).slice(0, 10).join(', ')})`;
  }
  return undefined;
}

export async function scenarioWorkflow(arg: ScenarioWorkflowArg): Promise<ScenarioOutcome> {
  const carry: ScenarioCarryOver = isResume(arg)
    ? arg.resume
    : { input: arg, built: [], generation: 0, cleanupErrors: [], slots: {}, vms: {}, desired: {}, book: { blockSize: 1, next: [], nodes: {} }, results: [], testsPending: null };
  let spec = validate(carry.input);
  const name = spec.name;
  let phase: ScenarioPhase = 'building';
  let failure: string | undefined;
  const { built, cleanupErrors, slots, vms, desired } = carry;
  let book = carry.book;
  let results = carry.results;
  let testsPending = carry.testsPending;
  let teardownRequested = false;
  let pendingApply: ScenarioInput | undefined;
  const progress = { done: 0, total: 0, unit: 'VMs' };

  setHandler(statusQuery, (): ScenarioStatus => {
    // One pass over `built`, not one per node: the status is polled while thousands of nodes build.
    const registered = new Set(built.filter((b) => b.kind === 'node').map((b) => b.id));
    return {
      name,
      phase,
      built: [...built],
      nodes: spec.nodes.map((n) => {
        const have = vms[n.name] ?? 0;
        const want = desired[n.name] ?? n.vms;
        return {
          name: n.name,
          desiredVms: want,
          vms: have,
          endpoints: have * n.endpointsPerVm,
          phase: !registered.has(n.name) ? 'pending' : have === want ? 'ready' : 'reconciling',
        };
      }),
      progress: { ...progress },
      error: failure,
      cleanupErrors: [...cleanupErrors],
      generation: carry.generation,
    };
  });
  setHandler(resultsQuery, () => results);
  setHandler(teardownSignal, () => {
    teardownRequested = true;
  });
  const applyScale = (req: ScaleRequest): ScaleResult => {
    const targets = req.node !== undefined ? [req.node] : spec.nodes.map((n) => n.name);
    const changed = targets.filter((n) => desired[n] !== req.vmsPerNode);
    for (const n of targets) desired[n] = req.vmsPerNode;
    return { nodes: changed, vmsPerNode: req.vmsPerNode };
  };
  setHandler(scaleSignal, (req) => {
    const problem = scaleProblem(spec, req);
    if (problem) {
      log.warn('scale signal refused', { scenario: name, problem });
      cleanupErrors.push(`scale refused: ${problem}`);
      return;
    }
    applyScale(req);
  });
  setHandler(
    scaleUpdate,
    async (req) => {
      const result = applyScale(req);
      // The caller learns the outcome once the VMs exist (or are gone).
      await condition(() => teardownRequested || result.nodes.every((n) => vms[n] === desired[n]));
      return result;
    },
    {
      validator: (req) => {
        const problem = scaleProblem(spec, req);
        if (problem) throw new Error(problem);
        const targets = req.node !== undefined ? spec.nodes.filter((n) => n.name === req.node) : spec.nodes;
        let trial = book;
        for (const n of targets) trial = reserveAddresses(trial, subnetsNow(), n.name, slots[n.name] ?? 0, req.vmsPerNode, n.endpointsPerVm);
      },
    },
  );
  setHandler(applySignal, (input) => {
    pendingApply = input;
  });
  setHandler(testSignal, (req?: TestRequest) => {
    testsPending = req?.kinds && req.kinds.length > 0 ? req.kinds : spec.tests.kinds;
  });

  const expectedId = scenarioWorkflowId(spec.name);
  if (workflowInfo().workflowId !== expectedId) {
    throw ApplicationFailure.nonRetryable(
      `workflow id "${workflowInfo().workflowId}" does not match scenario "${spec.name}": start it with id "${expectedId}" so a scenario can never be built twice`,
      'WrongWorkflowId',
    );
  }
  upsertSearchAttributes({ [MERAK_SCENARIO.name]: [spec.name] });
  const target = (): PluginTarget => ({ address: spec.plugin.address, deadlineMs: spec.plugin.deadlineMs });
  const plugin = () =>
    proxyActivities<ComputeActivities>({
      taskQueue: COMPUTE_TASK_QUEUE,
      startToCloseTimeout: spec.plugin.deadlineMs + 5_000,
      scheduleToCloseTimeout: spec.plugin.retryWindowMs,
      retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s' },
    });
  const assignedVni = (kind: 'vpc' | 'subnet', id: string) => built.find((b) => b.kind === kind && b.id === id)?.vni;
  const subnetsNow = () => planSubnets(spec, assignedVni);

  // ------------------------------------------------------------------ plugin objects (stage 1)

  const record = (obj: BuiltObject): BuiltObject => {
    const found = built.find((b) => b.kind === obj.kind && b.id === obj.id);
    if (found) return found;
    built.push(obj);
    return obj;
  };

  const slotOf = (node: string): number => {
    if (slots[node] === undefined) {
      const used = new Set(Object.values(slots));
      let slot = 0;
      while (used.has(slot)) slot++;
      slots[node] = slot;
    }
    return slots[node]!;
  };

  const createVpcs = async (list: ScenarioSpec['vpcs']) =>
    forEachBounded(list, PLUGIN_FAN_OUT, async (vpc) => {
      const entry = record({ kind: 'vpc', id: vpc.id });
      const cidr = parseCidr(vpc.cidr);
      const got = await plugin().createVpc(target(), { id: vpc.id, vni: vpc.vni, ip: formatIpv4(cidr.network), prefix: cidr.prefix, optional: vpc.optional });
      entry.vni = got.vni;
    });
  const subnetObject = (vpcId: string, subnet: ScenarioSpec['vpcs'][number]['subnets'][number]) => {
    const cidr = parseCidr(subnet.cidr);
    const vpc = spec.vpcs.find((v) => v.id === vpcId)!;
    // The provider may have given the VPC another VNI than asked: subnets follow the provider.
    const vni = subnet.vni ?? assignedVni('vpc', vpcId) ?? vpc.vni;
    return { id: subnet.id, vpc: vpcId, vni, ip: formatIpv4(cidr.network), prefix: cidr.prefix, optional: subnet.optional };
  };
  const createSubnets = async (list: { vpc: string; subnet: ScenarioSpec['vpcs'][number]['subnets'][number] }[]) =>
    forEachBounded(list, PLUGIN_FAN_OUT, async ({ vpc, subnet }) => {
      const entry = record({ kind: 'subnet', id: subnet.id, vpc });
      const got = await plugin().createSubnet(target(), subnetObject(vpc, subnet));
      entry.vni = got.vni;
    });
  const nodeObject = (node: NodeSpec) => ({
    name: node.name,
    ip: nodeUnderlayIp(spec, node, slotOf(node.name)),
    mac: node.mac ?? nodeMac(spec.name, slotOf(node.name)),
    optional: node.optional,
  });
  /** Plugin activities for a batch of `size` nodes: their timeouts cover its rounds of calls. */
  const nodeBatchActivities = (size: number) => {
    const rounds = Math.ceil(size / PLUGIN_FAN_OUT);
    return proxyActivities<ComputeActivities>({
      taskQueue: COMPUTE_TASK_QUEUE,
      startToCloseTimeout: rounds * spec.plugin.deadlineMs + 5_000,
      scheduleToCloseTimeout: Math.max(spec.plugin.retryWindowMs, rounds * spec.plugin.deadlineMs + 5_000),
      retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s' },
    });
  };
  const createNodes = async (list: NodeSpec[]) => {
    if (list.length > NODE_BATCH && patched(NODE_BATCH_PATCH)) {
      // Many nodes: NODE_BATCH per activity. Each is recorded before its batch is sent.
      const batches: NodeSpec[][] = [];
      for (let i = 0; i < list.length; i += NODE_BATCH) batches.push(list.slice(i, i + NODE_BATCH));
      await forEachBounded(batches, PLUGIN_FAN_OUT, async (batch) => {
        for (const node of batch) record({ kind: 'node', id: node.name });
        await nodeBatchActivities(batch.length).createNodes(target(), batch.map(nodeObject), PLUGIN_FAN_OUT);
      });
      return;
    }
    await forEachBounded(list, PLUGIN_FAN_OUT, async (node) => {
      record({ kind: 'node', id: node.name });
      await plugin().createNode(target(), nodeObject(node));
    });
  };

  const deleteObject = async (obj: BuiltObject): Promise<boolean> => {
    try {
      if (obj.kind === 'node') await plugin().deleteNode(target(), obj.id);
      else if (obj.kind === 'subnet') await plugin().deleteSubnet(target(), obj.id);
      else await plugin().deleteVpc(target(), obj.id);
      return true;
    } catch (err) {
      const text = `delete ${obj.kind} ${obj.id}: ${errorText(err)}`;
      log.error('plugin delete failed', { scenario: name, object: obj, error: text });
      cleanupErrors.push(text);
      return false;
    }
  };

  /** Deletes the given built objects (default: all), newest first, kind by kind. */
  const unwindPlugin = async (which: (b: BuiltObject) => boolean = () => true): Promise<number> => {
    let deleted = 0;
    const doomed = built.filter(which);
    for (let end = doomed.length; end > 0; ) {
      const kind = doomed[end - 1]!.kind;
      let start = end - 1;
      while (start > 0 && doomed[start - 1]!.kind === kind) start--;
      const group = doomed.slice(start, end).reverse();
      const forget = (obj: BuiltObject) => {
        const at = built.indexOf(obj);
        if (at >= 0) built.splice(at, 1);
      };
      const one = async (obj: BuiltObject) => {
        if (await deleteObject(obj)) deleted++;
        forget(obj);
      };
      if (kind === 'node' && group.length > NODE_BATCH && patched(NODE_BATCH_DELETE_PATCH)) {
        // Many nodes: NODE_BATCH per activity; a batch that fails is retried node by node, so
        // every node that cannot be deleted is named in cleanupErrors.
        const batches: BuiltObject[][] = [];
        for (let i = 0; i < group.length; i += NODE_BATCH) batches.push(group.slice(i, i + NODE_BATCH));
        await forEachBounded(batches, PLUGIN_FAN_OUT, async (batch) => {
          try {
            await nodeBatchActivities(batch.length).deleteNodes(target(), batch.map((b) => b.id), PLUGIN_FAN_OUT);
            deleted += batch.length;
            batch.forEach(forget);
          } catch {
            await forEachBounded(batch, PLUGIN_FAN_OUT, one);
          }
        });
      } else {
        await forEachBounded(group, PLUGIN_FAN_OUT, one);
      }
      end = start;
    }
    return deleted;
  };

  // ------------------------------------------------------------------ VMs (stage 2)

  const peersOf = (node: string): string[] => {
    // One pass over `built` per call, not one per node: it is called for every node.
    const registered = new Set(built.filter((b) => b.kind === 'node').map((b) => b.id));
    return spec.nodes.filter((n) => n.name !== node && registered.has(n.name)).map((n) => nodeUnderlayIp(spec, n, slotOf(n.name)));
  };

  /** Runs a nodeWorkflow to bring `node` to `want` VMs (0 + remove = delete the node's dataplane). */
  const reconcileNode = async (node: NodeSpec, want: number, remove = false): Promise<void> => {
    const slot = slotOf(node.name);
    if (want > 0) book = reserveAddresses(book, subnetsNow(), node.name, slot, want, node.endpointsPerVm);
    const have = vms[node.name] ?? 0;
    // Marked before the child runs: a node whose child failed half-way still gets cleaned.
    vms[node.name] = have;
    const result = await executeChild(nodeWorkflow, {
      workflowId: nodeWorkflowId(name, node.name),
      taskQueue: COMPUTE_TASK_QUEUE,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      args: [
        {
          scenario: name,
          node: node.name,
          ...(spec.agentPool ? { taskQueue: agentQueueOf(spec, node.name) } : {}),
          slot,
          plugin: endpointPluginOf(spec),
          underlayCidr: spec.underlay.cidr,
          // The none dataplane has no overlay: a thousand-node peer list per child would only
          // swell the histories (about 15 KB per node at 1000 nodes).
          peers: endpointPluginOf(spec) === 'none' ? [] : peersOf(node.name),
          current: have,
          desired: want,
          endpointsPerVm: node.endpointsPerVm,
          blockSize: book.blockSize,
          subnets: subnetsNow(),
          ranges: book.nodes[node.name] ?? subnetsNow().map(() => []),
          batchSize: spec.batchSize,
          rate: spec.rate,
          removeNode: remove,
          activityTimeoutMs: AGENT_ACTIVITY_TIMEOUT_MS,
        },
      ],
    });
    progress.done += Math.abs(result.vms - have);
    vms[node.name] = result.vms;
    if (result.removed) delete vms[node.name];
  };

  const childFanOut = (): number => (spec.agentPool ? POOL_CHILD_FAN_OUT : CHILD_FAN_OUT);

  /** Brings every node to its desired count. */
  const reconcileAll = async (): Promise<void> => {
    const todo = spec.nodes.filter((n) => (vms[n.name] ?? 0) !== (desired[n.name] ?? n.vms));
    progress.done = 0;
    progress.total = todo.reduce((sum, n) => sum + Math.abs((desired[n.name] ?? n.vms) - (vms[n.name] ?? 0)), 0);
    await forEachBounded(todo, childFanOut(), (n) => reconcileNode(n, desired[n.name] ?? n.vms));
  };

  /** Removes the VMs and the dataplane of the given nodes (all that have any state by default). */
  const removeDataplane = async (names?: string[]): Promise<void> => {
    const list = names ?? Object.keys(vms);
    await forEachBounded(list, childFanOut(), async (nodeName) => {
      const node = spec.nodes.find((n) => n.name === nodeName) ?? { name: nodeName, vms: 0, endpointsPerVm: 1, tests: [] };
      try {
        await reconcileNode(node, 0, true);
      } catch (err) {
        const text = `remove node ${nodeName}'s VMs: ${errorText(err)}`;
        log.error('node cleanup failed', { scenario: name, node: nodeName, error: text });
        cleanupErrors.push(text);
      }
    });
  };

  /** Tells every node with VMs the current peer list (VXLAN head-end replication). */
  const syncPeers = async (): Promise<void> => {
    const vnis = [...new Set(subnetsNow().map((s) => s.vni))];
    const nodes = spec.nodes.filter((n) => (vms[n.name] ?? 0) > 0);
    await forEachBounded(nodes, CHILD_FAN_OUT, async (n) => {
      await agent(n.name).syncPeers({
        scenario: name,
        node: n.name,
        nodeSlot: slotOf(n.name),
        plugin: endpointPluginOf(spec),
        underlayCidr: spec.underlay.cidr,
        vnis: vnis.map((vni) => ({ vni, peers: peersOf(n.name) })),
      });
    });
  };

  // ------------------------------------------------------------------ tests

  const agent = (node: string) =>
    proxyActivities<AgentActivities>({
      taskQueue: agentQueueOf(spec, node),
      scheduleToCloseTimeout: AGENT_ACTIVITY_TIMEOUT_MS,
      startToCloseTimeout: AGENT_ACTIVITY_TIMEOUT_MS,
      retry: { initialInterval: '500ms', maximumInterval: '5s' },
    });
  const testing = (node: string) =>
    proxyActivities<TestingActivities>({
      taskQueue: agentQueueOf(spec, node),
      scheduleToCloseTimeout: 5 * 60_000,
      startToCloseTimeout: 5 * 60_000,
      heartbeatTimeout: 60_000,
      retry: { maximumAttempts: 2 },
    });

  const runTests = async (kinds: TestKind[]): Promise<void> => {
    phase = 'testing';
    const subnets = subnetsNow();
    const nodes = spec.nodes.filter((n) => (vms[n.name] ?? 0) > 0).map((n) => ({ name: n.name, vms: vms[n.name]!, endpointsPerVm: n.endpointsPerVm, kinds: n.tests }));
    const endpointAt = (node: string, vmIndex: number, endpoint: number) => {
      const a = endpointAddress(name, subnets, book.nodes[node]!, slotOf(node), vmIndex, endpoint, nodes.find((n) => n.name === node)!.endpointsPerVm, book.blockSize);
      return { vpc: a.subnet.vpc, subnet: a.subnet.id, ip: a.ip };
    };
    const selection = selectPairs(nodes, endpointAt, pairOptionsFromSpec(spec.tests, spec.seed));
    const out: TestResult[] = [];
    await forEachBounded(selection.byNode, CHILD_FAN_OUT, async ({ node, pairs }) => {
      const mine = nodes.find((n) => n.name === node);
      const nodeKinds = kinds.filter((k) => mine?.kinds.includes(k));
      if (nodeKinds.length === 0 || pairs.length === 0) return;
      try {
        out.push(...(await testing(node).runTests({ scenario: name, node, kinds: nodeKinds, pairs, timeoutMs: 2_000 })));
      } catch (err) {
        out.push({ kind: nodeKinds[0]!, source: node, destination: '*', negative: false, pass: false, error: `tests on node ${node} could not run: ${errorText(err)}` });
      }
    });
    results = out.sort((a, b) => a.kind.localeCompare(b.kind) || a.source.localeCompare(b.source) || a.destination.localeCompare(b.destination));
  };

  // ------------------------------------------------------------------ apply

  const applySpec = async (input: ScenarioInput): Promise<void> => {
    let next: ScenarioSpec;
    try {
      next = parseSpec(input);
    } catch (err) {
      cleanupErrors.push(`apply refused: ${errorText(err)}`);
      return;
    }
    const d = diffSpecs(spec, next);
    if (d.refused.length > 0) {
      cleanupErrors.push(`apply refused: ${d.refused.join('; ')}`);
      return;
    }
    phase = 'applying';
    if (d.layoutChanged) await removeDataplane(spec.nodes.filter((n) => (vms[n.name] ?? 0) > 0).map((n) => n.name));
    const removedNodes = d.nodes.delete.map((n) => n.name);
    await removeDataplane(removedNodes.filter((n) => vms[n] !== undefined));
    await unwindPlugin((b) => b.kind === 'node' && removedNodes.includes(b.id));
    for (const n of removedNodes) {
      delete desired[n];
      delete slots[n];
      const { [n]: _gone, ...rest } = book.nodes;
      book = { ...book, nodes: rest };
    }
    await unwindPlugin((b) => b.kind === 'subnet' && d.subnets.delete.some((s) => s.id === b.id));
    await unwindPlugin((b) => b.kind === 'vpc' && d.vpcs.delete.some((v) => v.id === b.id));
    spec = next;
    carry.input = input;
    await forEachBounded(d.vpcs.update, PLUGIN_FAN_OUT, async (vpc) => {
      const cidr = parseCidr(vpc.cidr);
      const got = await plugin().updateVpc(target(), { id: vpc.id, vni: vpc.vni, ip: formatIpv4(cidr.network), prefix: cidr.prefix, optional: vpc.optional });
      record({ kind: 'vpc', id: vpc.id }).vni = got.vni;
    });
    await createVpcs(d.vpcs.create);
    await forEachBounded(d.subnets.update, PLUGIN_FAN_OUT, async (s) => {
      const got = await plugin().updateSubnet(target(), subnetObject(s.vpc, s));
      record({ kind: 'subnet', id: s.id }).vni = got.vni;
    });
    await createSubnets(d.subnets.create.map((s) => ({ vpc: s.vpc, subnet: s })));
    await forEachBounded(d.nodes.update, PLUGIN_FAN_OUT, async (n) => {
      await plugin().updateNode(target(), nodeObject(n));
    });
    await createNodes(d.nodes.create);
    if (d.nodes.create.length > 0 || d.nodes.delete.length > 0) await syncPeers();
    if (d.layoutChanged) {
      const maxVms = Math.max(0, ...spec.nodes.map((n) => n.vms));
      book = { blockSize: chooseBlockSize(maxVms, subnetsNow().length), next: subnetsNow().map(() => 0), nodes: {} };
    }
    // The new spec is the desired state: its counts replace earlier scale requests.
    const placed = placeVms(spec.placement, spec.nodes, spec.vmsPerNode, spec.seed);
    spec.nodes.forEach((n, i) => (desired[n.name] = placed[i]!));
    await reconcileAll();
  };

  // ------------------------------------------------------------------ life cycle

  const teardown = async (): Promise<ScenarioOutcome> => {
    phase = 'tearing-down';
    let deleted = 0;
    await CancellationScope.nonCancellable(async () => {
      await removeDataplane();
      deleted = await unwindPlugin();
    });
    phase = 'deleted';
    return { name, phase, deleted, cleanupErrors: [...cleanupErrors] };
  };

  try {
    if (!isResume(arg)) {
      // Everything that can be refused is checked before the first plugin call.
      const placed = placeVms(spec.placement, spec.nodes, spec.vmsPerNode, spec.seed);
      spec.nodes.forEach((n, i) => {
        slotOf(n.name);
        desired[n.name] = placed[i]!;
      });
      const subnetCount = spec.vpcs.reduce((s, v) => s + v.subnets.length, 0);
      book = { blockSize: chooseBlockSize(Math.max(...placed), subnetCount), next: new Array<number>(subnetCount).fill(0), nodes: {} };
      try {
        let trial = book;
        spec.nodes.forEach((n) => (trial = reserveAddresses(trial, subnetsNow(), n.name, slotOf(n.name), desired[n.name]!, n.endpointsPerVm)));
      } catch (err) {
        if (err instanceof AddressSpaceError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidSpec');
        throw err;
      }
      await createVpcs(spec.vpcs);
      await createSubnets(spec.vpcs.flatMap((vpc) => vpc.subnets.map((subnet) => ({ vpc: vpc.id, subnet }))));
      await createNodes(spec.nodes);
      await reconcileAll();
      if (spec.tests.kinds.length > 0) testsPending = spec.tests.kinds;
    }
    for (;;) {
      if (testsPending) {
        const kinds = testsPending;
        testsPending = null;
        await runTests(kinds);
      }
      phase = 'ready';
      await condition(
        () =>
          teardownRequested ||
          pendingApply !== undefined ||
          testsPending !== null ||
          spec.nodes.some((n) => (vms[n.name] ?? 0) !== desired[n.name]) ||
          workflowInfo().continueAsNewSuggested,
      );
      if (teardownRequested) return await teardown();
      if (pendingApply !== undefined) {
        const input = pendingApply;
        pendingApply = undefined;
        await applySpec(input);
        continue;
      }
      if (spec.nodes.some((n) => (vms[n.name] ?? 0) !== desired[n.name])) {
        phase = 'scaling';
        await reconcileAll();
        continue;
      }
      if (testsPending) continue;
      await condition(allHandlersFinished);
      return await continueAsNew<typeof scenarioWorkflow>({
        resume: { input: carry.input, built, generation: carry.generation + 1, cleanupErrors, slots, vms, desired, book, results, testsPending },
      });
    }
  } catch (err) {
    if (isCancellation(err)) {
      await teardown();
      throw err;
    }
    if (phase !== 'building') throw err;
    failure = errorText(err instanceof ChildWorkflowFailure && err.cause ? err.cause : err);
    phase = 'failed';
    log.error('scenario build failed; undoing what was created', { scenario: name, error: failure });
    await CancellationScope.nonCancellable(async () => {
      await removeDataplane();
      await unwindPlugin();
    });
    throw ApplicationFailure.nonRetryable(`scenario "${name}" failed while building and everything it created was deleted: ${failure}`, 'ScenarioBuildFailed', { cleanupErrors });
  }
}
