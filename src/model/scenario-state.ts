/**
 * What one scenario workflow run knows, apart from Temporal: the spec it runs, the plugin objects
 * it built, node slots, VM counts (existing and desired), the address book, test results, the
 * phase and the status it reports, the scale arithmetic, and the carry-over it hands to the next
 * run at continue-as-new. The workflow (src/workflows/scenario.ts) wires messages to it and runs
 * the stages; everything here is plain data and arithmetic, so it is unit-tested without a server
 * (test/unit/scenario-state.test.ts).
 *
 * It lives in src/model rather than next to the workflow because it is pure: the workflow-sandbox
 * lint applies here too, and the dependency rules keep it from importing Temporal, activities or
 * Node. Nothing here schedules a command, so the order of Temporal commands stays where it is
 * visible: in the workflow and its stages.
 */
import { diffSpecs, type SpecDiff } from './diff';
import { errorText } from './error-text';
import { formatIpv4, parseCidr } from './ipv4';
import { nodeMac } from './mac';
import { numberedNodeMac, pluginNodeName, type ScenarioIdentity } from './identity';
import { pairOptionsFromSpec, selectPairs, type PairSelection } from './pairs';
import { addressInVpc, chooseBlockSize, endpointAddress, nodeUnderlayIp, placeVms, planSubnets, reserveAddressesInto, type AddressBook, type PlanSubnet, type RangeList } from './plan';
import { agentQueueOf } from './queues';
import { MAX_VMS_PER_NODE, parseSpec, totalEndpoints, type NodeSpec, type ScenarioInput, type ScenarioSpec, type SubnetSpec, type TestKind, type VpcSpec } from './spec';
import { Measurements, type MeasuredState } from './measurements';
import { CARRY_OVER_TARGET_BYTES, RESULTS_CARRY_BUDGET_BYTES, emptyPack, isPack, packResults, resultsPage, trimPack, unpackResults, type PackedResults, type ResultsPage } from './result-pack';
import type { ApplyResult, BuiltObject, ScaleRequest, ScaleResult, ScenarioPhase, ScenarioStatus, TestRequest, TestResult } from './status';

/**
 * What a run hands to the next one when it continues as new: counts and ranges only, never
 * per-VM lists. It is the workflow's argument (`{ resume: carry }`), so it must survive JSON.
 */
export interface ScenarioCarryOver {
  /** The spec input the scenario runs now (the last applied one). */
  input: ScenarioInput;
  /** Plugin objects that exist (or may exist), in creation order. */
  built: BuiltObject[];
  /** Times the workflow has continued as new, counting the hand-over this carry-over is for. */
  generation: number;
  cleanupErrors: string[];
  /** Stable node slots (MACs, underlay addresses): a node keeps its slot for the scenario's life. */
  slots: Record<string, number>;
  /** VMs that exist per node. */
  vms: Record<string, number>;
  /** VMs wanted per node (placement, then scale). */
  desired: Record<string, number>;
  book: AddressBook;
  /**
   * The test results of runs from before packed results (issue 15); empty since then, the
   * results being in {@link packedResults}.
   */
  results: TestResult[];
  /** The last test run's results, compact and within RESULTS_CARRY_BUDGET_BYTES (model/result-pack.ts); absent in older carry-overs. */
  packedResults?: PackedResults;
  /** Test kinds asked for and not run yet; null when none. */
  testsPending: TestKind[] | null;
  /** Latencies and time to reachable so far (issue 12); absent in carry-overs made before it. */
  measured?: MeasuredState;
  /**
   * Scenario number and underlay (model/identity.ts), from the preflight; absent for scenarios
   * started before identities existed, which keep the names, addresses and MACs they were built with.
   */
  identity?: ScenarioIdentity;
  /**
   * The network plugin's node configuration (GetState `node_config`), read once before the first
   * Create and given to every node's ensureNode; absent when the plugin had none, and in runs
   * started before it was read.
   */
  providerConfig?: Record<string, string>;
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

/** A node the connectivity tests run from: the VMs it has now and the kinds it runs. */
export interface TestNode {
  name: string;
  vms: number;
  endpointsPerVm: number;
  kinds: TestKind[];
}

/** An accepted `apply`: the new spec and what must change to reach it. */
export interface ApplyPlan {
  next: ScenarioSpec;
  diff: SpecDiff;
}

/** An `apply` (signal or update) waiting for the main loop: its spec and its number in this run. */
export interface ApplyRequest {
  input: ScenarioInput;
  seq: number;
}

/** How an `apply` ended: its result, or why it was refused or failed. */
export interface ApplyOutcome {
  result?: ApplyResult;
  error?: string;
}

/** A copy of a book to try reservations on ({@link reserveAddressesInto}): the original is not changed. */
function trialBook(book: AddressBook): AddressBook {
  return { blockSize: book.blockSize, next: [...book.next], nodes: { ...book.nodes } };
}

/** Key of a plugin object in {@link ScenarioState}'s index. */
function builtKey(kind: BuiltObject['kind'], id: string): string {
  return `${kind}\u0000${id}`;
}

/** The lowest slot `used` does not hold, searching from `from` (every slot below it is taken). */
function lowestFreeSlot(used: ReadonlySet<number>, from: number): number {
  let slot = from;
  while (used.has(slot)) slot++;
  return slot;
}

/** An empty address book for a spec's subnet layout, its block size chosen for the spec's largest node. */
function freshBook(spec: ScenarioSpec, subnetCount: number): AddressBook {
  const maxVms = Math.max(0, ...spec.nodes.map((n) => n.vms));
  return { blockSize: chooseBlockSize(maxVms, subnetCount), next: new Array<number>(subnetCount).fill(0), nodes: {} };
}

export class ScenarioState {
  /** The validated spec the scenario runs now; `apply` replaces it ({@link adopt}). */
  spec: ScenarioSpec;
  /** The input `spec` was parsed from: what continue-as-new hands on. */
  input: ScenarioInput;
  /** The scenario's name (an `apply` cannot change it). */
  readonly name: string;
  /** Times the workflow continued as new before this run. */
  readonly generation: number;
  phase: ScenarioPhase = 'building';
  /** The failure that stopped the build (see {@link fail}). */
  failure: string | undefined;
  /**
   * Plugin objects that exist (or may: recorded before their Create is sent), in creation order.
   * Read it, never change it: {@link record} and {@link forget} keep it and its index.
   */
  get built(): BuiltObject[] {
    if (this.forgotten.size > 0) {
      // Forgotten objects leave the list here, in one pass, rather than one search each.
      let w = 0;
      for (const b of this.builtList) if (!this.forgotten.has(b)) this.builtList[w++] = b;
      this.builtList.length = w;
      this.forgotten.clear();
    }
    return this.builtList;
  }
  private readonly builtList: BuiltObject[];
  /** kind + id → the recorded object: record, forget and VNI lookups without a scan of `built`. */
  private readonly builtIndex = new Map<string, BuiltObject>();
  /** Objects forgotten since `built` was last read (taken out of the list on the next read). */
  private readonly forgotten = new Set<BuiltObject>();
  /** Slots held by some node (the values of `slots`). */
  private readonly usedSlots: Set<number>;
  /** Every slot below this one is held: where the search for a free slot starts. */
  private freeSlotFrom = 0;
  /** Node name → its spec, for the spec the scenario runs now (rebuilt by {@link adopt}). */
  private nodeIndex = new Map<string, NodeSpec>();
  /** Spec nodes whose VM count differs from the desired one (or have no desired count): what a reconcile has to do. */
  private readonly offTarget = new Set<string>();
  /** totalEndpoints(spec), once per spec: it is read for every node the reference dataplane starts. */
  private specEndpoints = 0;
  /** Refused messages, failed compensations and deletes, in the order they happened. */
  readonly cleanupErrors: string[];
  /** Node name → slot (MACs, local underlay address); see {@link slotOf}. */
  readonly slots: Record<string, number>;
  /** Node name → VMs that exist. A node has an entry from its first child run until it is removed. */
  readonly vms: Record<string, number>;
  /** Node name → VMs wanted (placement, then scale, then the last applied spec). */
  readonly desired: Record<string, number>;
  book: AddressBook;
  /** The last test run's results, compact (model/result-pack.ts): read them with {@link resultsPage} or {@link results}. */
  private packed: PackedResults;
  /** Test kinds asked for and not run yet; null when none. */
  testsPending: TestKind[] | null;
  teardownRequested = false;
  /** The last spec sent by `apply` and not taken by the main loop yet (a later one replaces it). */
  pendingApply: ApplyRequest | undefined;
  /** Applies numbered so far in this run. */
  private applySeq = 0;
  /** How each apply of this run ended, by number (a few small records per run: continue-as-new drops them). */
  private readonly applyOutcomes = new Map<number, ApplyOutcome>();
  /** Apply number → the later apply that replaced it before the main loop took it. */
  private readonly supersededBy = new Map<number, number>();
  /** Nodes whose child workflow runs now (not carried: a run continues as new only at rest). */
  readonly running = new Set<string>();
  /** Running node → its agent queue, when the last poller check found no worker polling it. */
  noPoller: Record<string, string> = {};
  /** When the poller check last ran (ISO 8601, workflow time). */
  pollersCheckedAt: string | undefined;
  /** Latencies, time to reachable and node build times since the scenario started (measurements.ts). */
  readonly measured: Measurements;
  /** Scenario number and underlay; see {@link ScenarioCarryOver.identity}. */
  identity: ScenarioIdentity | undefined;
  /** The plugin's node configuration; see {@link ScenarioCarryOver.providerConfig}. */
  providerConfig: Record<string, string> | undefined;
  /** VMs created or deleted by the reconcile in progress, out of how many. */
  readonly progress = { done: 0, total: 0, unit: 'VMs' };

  /** The carry-over of a scenario that has built nothing yet (the first run). */
  static initial(input: ScenarioInput): ScenarioCarryOver {
    return { input, built: [], generation: 0, cleanupErrors: [], slots: {}, vms: {}, desired: {}, book: { blockSize: 1, next: [], nodes: {} }, results: [], testsPending: null };
  }

  /**
   * Takes over a carry-over (its records are used, not copied).
   * @param spec `carry.input`, already validated by the caller (the workflow turns a SpecError
   *   into a non-retryable failure)
   */
  constructor(carry: ScenarioCarryOver, spec: ScenarioSpec) {
    this.spec = spec;
    this.input = carry.input;
    this.name = spec.name;
    this.generation = carry.generation;
    this.builtList = carry.built;
    for (const b of carry.built) this.builtIndex.set(builtKey(b.kind, b.id), b);
    this.cleanupErrors = carry.cleanupErrors;
    this.slots = carry.slots;
    this.usedSlots = new Set(Object.values(carry.slots));
    this.vms = carry.vms;
    this.desired = carry.desired;
    this.book = carry.book;
    // A carry-over from before packed results holds them as a list.
    this.packed = isPack(carry.packedResults) ? carry.packedResults : (carry.results ?? []).length > 0 ? packResults(carry.results) : emptyPack();
    this.testsPending = carry.testsPending;
    this.measured = new Measurements(carry.measured);
    this.identity = carry.identity;
    this.providerConfig = carry.providerConfig;
    this.indexSpec();
  }

  /** Rebuilds what is derived from the spec's node list: the name index and the off-target set. O(nodes), once per spec. */
  private indexSpec(): void {
    this.nodeIndex = new Map(this.spec.nodes.map((n) => [n.name, n]));
    this.specEndpoints = totalEndpoints(this.spec);
    this.offTarget.clear();
    for (const n of this.spec.nodes) this.checkTarget(n.name);
  }

  /** Re-reads whether one node is off its desired count (after its count or desired count changed). */
  private checkTarget(node: string): void {
    if (this.nodeIndex.has(node) && (this.vms[node] ?? 0) !== this.desired[node]) this.offTarget.add(node);
    else this.offTarget.delete(node);
  }

  /** Sets a node's desired VM count. */
  private setDesired(node: string, count: number): void {
    this.desired[node] = count;
    this.checkTarget(node);
  }

  /** Endpoints the spec asks for over all nodes (its counts, before any scale): {@link totalEndpoints} of the spec. */
  endpointsInSpec(): number {
    return this.specEndpoints;
  }

  /** A node of the spec the scenario runs now, by name. */
  nodeNamed(name: string): NodeSpec | undefined {
    return this.nodeIndex.get(name);
  }

  /** What the next run starts from: this run's records, generation + 1. */
  carryOver(): ScenarioCarryOver {
    const carry: ScenarioCarryOver = {
      input: this.input,
      built: this.built,
      generation: this.generation + 1,
      cleanupErrors: this.cleanupErrors,
      slots: this.slots,
      vms: this.vms,
      desired: this.desired,
      book: this.book,
      results: [],
      testsPending: this.testsPending,
      measured: this.measured.state(),
      ...(this.identity ? { identity: this.identity } : {}),
      ...(this.providerConfig ? { providerConfig: this.providerConfig } : {}),
    };
    // Bounded whatever the pair count: a payload above 2 MiB would fail the continue-as-new
    // (issue 15). The results get what the rest leaves, at most RESULTS_CARRY_BUDGET_BYTES.
    const room = Math.max(0, Math.min(RESULTS_CARRY_BUDGET_BYTES, CARRY_OVER_TARGET_BYTES - JSON.stringify(carry).length));
    carry.packedResults = trimPack(this.packed, room);
    return carry;
  }

  /** The answer to the `status` query (copies: a caller cannot change the state through it). */
  status(): ScenarioStatus {
    return {
      name: this.name,
      phase: this.phase,
      built: [...this.built],
      nodes: this.spec.nodes.map((n) => {
        const have = this.vms[n.name] ?? 0;
        const want = this.wantOf(n);
        return {
          name: n.name,
          desiredVms: want,
          vms: have,
          endpoints: have * n.endpointsPerVm,
          phase: !this.isRegistered(n.name) ? 'pending' : have === want ? 'ready' : 'reconciling',
          // Only on the few nodes they concern, so the status of 10,000 nodes stays small.
          ...(this.running.has(n.name) ? { running: true as const } : {}),
          ...(this.noPoller[n.name] !== undefined ? { noPoller: this.noPoller[n.name] } : {}),
        };
      }),
      progress: { ...this.progress },
      error: this.failure,
      cleanupErrors: [...this.cleanupErrors],
      generation: this.generation,
      ...(this.pollersCheckedAt !== undefined ? { pollersCheckedAt: this.pollersCheckedAt } : {}),
    };
  }

  // ---------------------------------------------------------------- plugin objects

  /** Records a plugin object (before its Create is sent); an object already recorded is returned as it is. */
  record(obj: BuiltObject): BuiltObject {
    const key = builtKey(obj.kind, obj.id);
    const found = this.builtIndex.get(key);
    if (found) return found;
    this.builtIndex.set(key, obj);
    this.builtList.push(obj);
    return obj;
  }

  /** Drops a deleted (or given up) object from the record; an object not recorded is ignored. */
  forget(obj: BuiltObject): void {
    const key = builtKey(obj.kind, obj.id);
    if (this.builtIndex.get(key) !== obj) return;
    this.builtIndex.delete(key);
    this.forgotten.add(obj);
  }

  /** The VNI the provider gave a recorded VPC or subnet, if any. */
  assignedVni(kind: 'vpc' | 'subnet', id: string): number | undefined {
    return this.builtIndex.get(builtKey(kind, id))?.vni;
  }

  /** The spec's subnets in plan order, with the VNIs the provider assigned. */
  subnets(): PlanSubnet[] {
    return planSubnets(this.spec, (kind, id) => this.assignedVni(kind, id));
  }

  /** `{ scenario }` for the plugin objects of a scenario with an identity (the owner the plugin keeps), else nothing. */
  owner(): { scenario?: string } {
    return this.identity ? { scenario: this.name } : {};
  }

  /** The scenario's name for Deletes when it has an identity (another scenario's object is left alone), else undefined. */
  ownerName(): string | undefined {
    return this.identity ? this.name : undefined;
  }

  /** A node's name at the plugin: `<node>.<scenario>` with an identity, else the node's name. */
  pluginNodeName(node: string): string {
    return this.identity ? pluginNodeName(this.name, node) : node;
  }

  /** Underlay of the local nodes: the identity's (the spec's, or the scenario number's block), else the spec's. */
  underlayCidr(): string {
    return this.identity?.underlayCidr ?? this.spec.underlay.cidr;
  }

  /** A node's underlay address: the spec's, else from the underlay by slot. */
  nodeIp(node: NodeSpec): string {
    return nodeUnderlayIp({ underlay: { cidr: this.underlayCidr() } }, node, this.slotOf(node.name));
  }

  /** The plugin's VPC object for a spec VPC. */
  vpcObject(vpc: VpcSpec) {
    const cidr = parseCidr(vpc.cidr);
    return { id: vpc.id, vni: vpc.vni, ip: formatIpv4(cidr.network), prefix: cidr.prefix, optional: vpc.optional, ...this.owner() };
  }

  /** The plugin's subnet object; its VNI follows the provider's VNI for the VPC when the subnet names none. */
  subnetObject(vpcId: string, subnet: SubnetSpec) {
    const cidr = parseCidr(subnet.cidr);
    const vpc = this.spec.vpcs.find((v) => v.id === vpcId)!;
    // The provider may have given the VPC another VNI than asked: subnets follow the provider.
    const vni = subnet.vni ?? this.assignedVni('vpc', vpcId) ?? vpc.vni;
    return { id: subnet.id, vpc: vpcId, vni, ip: formatIpv4(cidr.network), prefix: cidr.prefix, optional: subnet.optional, ...this.owner() };
  }

  /**
   * The plugin's node object: underlay address and MAC from the node's slot unless the spec gives
   * them (MAC from the scenario number with an identity, else from the scenario name's hash).
   */
  nodeObject(node: NodeSpec) {
    const slot = this.slotOf(node.name);
    return {
      name: this.pluginNodeName(node.name),
      ip: this.nodeIp(node),
      mac: node.mac ?? (this.identity ? numberedNodeMac(this.identity.number, slot) : nodeMac(this.spec.name, slot)),
      optional: node.optional,
      ...this.owner(),
    };
  }

  /** Nodes the plugin holds (recorded), by name. */
  registeredNodes(): Set<string> {
    return new Set(this.built.filter((b) => b.kind === 'node').map((b) => b.id));
  }

  /** Whether the plugin holds (may hold) a node: it is recorded. */
  isRegistered(node: string): boolean {
    return this.builtIndex.has(builtKey('node', node));
  }

  // ---------------------------------------------------------------- nodes and VMs

  /** A node's slot, given on first use: the lowest slot no node holds. It never changes while the node exists. */
  slotOf(node: string): number {
    const held = this.slots[node];
    if (held !== undefined) return held;
    const slot = lowestFreeSlot(this.usedSlots, this.freeSlotFrom);
    this.slots[node] = slot;
    this.usedSlots.add(slot);
    this.freeSlotFrom = slot + 1;
    return slot;
  }

  /** Underlay addresses of the other nodes the plugin holds (VXLAN head-end replication). */
  peersOf(node: string): string[] {
    return this.spec.nodes.filter((n) => n.name !== node && this.isRegistered(n.name)).map((n) => this.nodeIp(n));
  }

  /** VMs wanted on a node: the desired count, else the spec's count. */
  wantOf(node: NodeSpec): number {
    return this.desired[node.name] ?? node.vms;
  }

  /** True when some node of the spec has not the VMs it should. */
  needsReconcile(): boolean {
    // Kept as counts change: the main loop asks after every activation while it waits.
    return this.offTarget.size > 0;
  }

  /** Nodes of the spec that have VMs. */
  nodesWithVms(): NodeSpec[] {
    return this.spec.nodes.filter((n) => (this.vms[n.name] ?? 0) > 0);
  }

  /** Every node that has dataplane state (a child ran for it), in the spec or not any more. */
  nodesWithState(): string[] {
    return Object.keys(this.vms);
  }

  /** The spec of a node, or a stand-in for one an `apply` removed (enough to delete its VMs). */
  nodeOrRemoved(name: string): NodeSpec {
    return this.nodeIndex.get(name) ?? { name, vms: 0, endpointsPerVm: 1, tests: [] };
  }

  /** Starts a reconcile: the nodes whose VM count is off, with the progress counters reset to them. */
  startReconcile(): NodeSpec[] {
    const todo = this.spec.nodes.filter((n) => (this.vms[n.name] ?? 0) !== this.wantOf(n));
    this.progress.done = 0;
    this.progress.total = todo.reduce((sum, n) => sum + Math.abs(this.wantOf(n) - (this.vms[n.name] ?? 0)), 0);
    return todo;
  }

  /** Starts the teardown: the progress counters count the VMs that exist now, all to be deleted. */
  startTeardown(): void {
    this.progress.done = 0;
    this.progress.total = Object.values(this.vms).reduce((sum, v) => sum + v, 0);
  }

  /**
   * Before a node's child run: reserves addresses for `want` VMs and marks the node as having
   * state, so a node whose child fails half-way is still cleaned.
   * @returns the node's slot and the VMs it has now
   * @throws AddressSpaceError when a subnet cannot hold the VMs
   */
  beginNode(node: NodeSpec, want: number): { slot: number; have: number } {
    const slot = this.slotOf(node.name);
    if (want > 0) reserveAddressesInto(this.book, this.subnets(), node.name, slot, want, node.endpointsPerVm);
    const have = this.vms[node.name] ?? 0;
    this.vms[node.name] = have;
    this.running.add(node.name);
    return { slot, have };
  }

  /**
   * A node's child run is over, ended well (`ok`) or not. A failed node keeps its "no poller"
   * flag: it is most likely why the child failed.
   */
  settleNode(node: string, ok: boolean): void {
    this.running.delete(node);
    if (ok) delete this.noPoller[node];
  }

  // ---------------------------------------------------------------- pollers

  /** The agent task queues of the running nodes, each once (the pool's is one for all). */
  queuesToCheck(): string[] {
    return [...new Set([...this.running].map((n) => agentQueueOf(this.spec, n)))];
  }

  /**
   * The answer of a poller check: the running nodes whose queue is in `idle` are flagged, the
   * others cleared.
   * @param idle queues the server lists no poller for
   * @param at when the check ran (ISO 8601)
   */
  setIdleQueues(idle: readonly string[], at: string): void {
    const none = new Set(idle);
    const flagged: Record<string, string> = {};
    for (const [n, q] of Object.entries(this.noPoller)) if (!this.running.has(n)) flagged[n] = q;
    for (const n of this.running) {
      const q = agentQueueOf(this.spec, n);
      if (none.has(q)) flagged[n] = q;
    }
    this.noPoller = flagged;
    this.pollersCheckedAt = at;
  }

  /** After a node's child run: its VM count, or no entry once the node itself is removed. */
  endNode(node: string, have: number, result: { vms: number; removed: boolean }): void {
    this.progress.done += Math.abs(result.vms - have);
    this.vms[node] = result.vms;
    if (result.removed) delete this.vms[node];
    this.checkTarget(node);
  }

  /** A node's host-index ranges per subnet (empty ones before its first reservation). */
  rangesOf(node: string): RangeList[] {
    return this.book.nodes[node] ?? this.subnets().map(() => []);
  }

  /**
   * The first run's plan, before any plugin call: placement, slots, desired counts and the
   * address book, with every node's reservation tried so that a subnet too small is refused now.
   * @throws AddressSpaceError naming the subnet that cannot hold the VMs
   */
  planBuild(): void {
    const spec = this.spec;
    const placed = placeVms(spec.placement, spec.nodes, spec.vmsPerNode, spec.seed);
    spec.nodes.forEach((n, i) => {
      this.slotOf(n.name);
      this.setDesired(n.name, placed[i]!);
    });
    const subnetCount = spec.vpcs.reduce((s, v) => s + v.subnets.length, 0);
    this.book = { blockSize: chooseBlockSize(placed.reduce((a, b) => Math.max(a, b), 0), subnetCount), next: new Array<number>(subnetCount).fill(0), nodes: {} };
    const trial = trialBook(this.book);
    const subnets = this.subnets();
    spec.nodes.forEach((n) => reserveAddressesInto(trial, subnets, n.name, this.slotOf(n.name), this.desired[n.name]!, n.endpointsPerVm));
  }

  // ---------------------------------------------------------------- messages

  /**
   * Sets the desired count of the request's nodes (all when it names none).
   * @returns the nodes whose desired count changed
   */
  applyScale(req: ScaleRequest): ScaleResult {
    const targets = req.node !== undefined ? [req.node] : this.spec.nodes.map((n) => n.name);
    const changed = targets.filter((n) => this.desired[n] !== req.vmsPerNode);
    for (const n of targets) this.setDesired(n, req.vmsPerNode);
    return { nodes: changed, vmsPerNode: req.vmsPerNode };
  }

  /**
   * The `scale` signal: applied, or, when {@link scaleProblem} refuses it, listed in
   * cleanupErrors (a signal has no caller to answer).
   * @returns the refusal, or undefined when applied
   */
  scaleBySignal(req: ScaleRequest): string | undefined {
    const problem = scaleProblem(this.spec, req);
    if (problem) {
      this.cleanupErrors.push(`scale refused: ${problem}`);
      return problem;
    }
    this.applyScale(req);
    return undefined;
  }

  /**
   * The `scale` update's validator: nothing changes.
   * @throws Error with {@link scaleProblem}'s refusal
   * @throws AddressSpaceError when a subnet could not hold the VMs
   */
  checkScale(req: ScaleRequest): void {
    const problem = scaleProblem(this.spec, req);
    if (problem) throw new Error(problem);
    const targets = req.node !== undefined ? [this.nodeIndex.get(req.node)!] : this.spec.nodes;
    const trial = trialBook(this.book);
    const subnets = this.subnets();
    for (const n of targets) reserveAddressesInto(trial, subnets, n.name, this.slots[n.name] ?? 0, req.vmsPerNode, n.endpointsPerVm);
  }

  /** True once a scale update can be answered: its nodes have their VMs, or the scenario is going away. */
  scaleFinished(result: ScaleResult): boolean {
    return this.teardownRequested || result.nodes.every((n) => this.vms[n] === this.desired[n]);
  }

  /** The `test` signal: the kinds asked for, else the spec's. */
  requestTests(req?: TestRequest): void {
    this.testsPending = req?.kinds && req.kinds.length > 0 ? req.kinds : this.spec.tests.kinds;
  }

  /** True when the main loop has something to do (continue-as-new aside). */
  hasWork(): boolean {
    return this.teardownRequested || this.pendingApply !== undefined || this.testsPending !== null || this.needsReconcile();
  }

  /** The test kinds asked for, now taken (null when none). */
  takeTests(): TestKind[] | null {
    const kinds = this.testsPending;
    if (kinds) this.testsPending = null;
    return kinds;
  }

  /**
   * Queues an applied spec for the main loop; one still waiting is replaced (the newer spec is
   * the whole desired state) and answered with the newer one's outcome.
   * @returns the apply's number in this run
   */
  requestApply(input: ScenarioInput): number {
    const seq = ++this.applySeq;
    if (this.pendingApply) this.supersededBy.set(this.pendingApply.seq, seq);
    this.pendingApply = { input, seq };
    return seq;
  }

  /** The applied spec not reconciled yet, now taken. */
  takeApply(): ApplyRequest | undefined {
    const req = this.pendingApply;
    this.pendingApply = undefined;
    return req;
  }

  /** The spec the scenario is asked to run: the pending apply's, else the one it runs. */
  latestInput(): ScenarioInput {
    return this.pendingApply?.input ?? this.input;
  }

  /** Records how apply `seq` ended. */
  finishApply(seq: number, outcome: ApplyOutcome): void {
    this.applyOutcomes.set(seq, outcome);
  }

  /**
   * The answer for apply `seq` once the scenario is at rest again (phase `ready`, the tests the
   * apply asked for run): its own outcome, or the outcome of the later apply that replaced it.
   * Undefined while it is not there yet.
   */
  applyAnswer(seq: number): ApplyOutcome | undefined {
    let final = seq;
    while (this.supersededBy.has(final)) final = this.supersededBy.get(final)!;
    const outcome = this.applyOutcomes.get(final);
    if (!outcome || this.phase !== 'ready' || this.testsPending !== null) return undefined;
    if (final === seq || !outcome.result) return outcome;
    return { ...outcome, result: { ...outcome.result, supersededBy: final } };
  }

  /** What an apply did, for its caller: object counts, whether VMs were rebuilt, the VMs now. */
  applyResult(diff: SpecDiff): ApplyResult {
    const counts = <T>(d: { create: T[]; update: T[]; delete: T[] }) => ({ created: d.create.length, updated: d.update.length, deleted: d.delete.length });
    return {
      vpcs: counts(diff.vpcs),
      subnets: counts(diff.subnets),
      nodes: counts(diff.nodes),
      vmsRebuilt: diff.layoutChanged,
      nodeCount: this.spec.nodes.length,
      vms: this.spec.nodes.reduce((sum, n) => sum + (this.vms[n.name] ?? 0), 0),
    };
  }

  // ---------------------------------------------------------------- tests

  /** The nodes with VMs and the pairs to test from each (phase `testing` is the caller's). */
  testPlan(): { nodes: TestNode[]; selection: PairSelection } {
    const subnets = this.subnets();
    const nodes: TestNode[] = this.nodesWithVms().map((n) => ({ name: n.name, vms: this.vms[n.name]!, endpointsPerVm: n.endpointsPerVm, kinds: n.tests }));
    const endpointAt = (node: string, vmIndex: number, endpoint: number) => {
      const a = endpointAddress(this.name, subnets, this.book.nodes[node]!, this.slotOf(node), vmIndex, endpoint, this.nodeIndex.get(node)!.endpointsPerVm, this.book.blockSize);
      return { vpc: a.subnet.vpc, subnet: a.subnet.id, ip: a.ip };
    };
    // VPCs may overlap: a negative pair never aims at an address the source's own VPC uses.
    const options = { ...pairOptionsFromSpec(this.spec.tests, this.spec.seed), reachable: addressInVpc(subnets, this.book) };
    return { nodes, selection: selectPairs(nodes, endpointAt, options) };
  }

  /** Keeps a test run's results, sorted by kind, source, destination, packed (model/result-pack.ts). */
  setResults(out: TestResult[]): void {
    this.packed = packResults(out.sort((a, b) => a.kind.localeCompare(b.kind) || a.source.localeCompare(b.source) || a.destination.localeCompare(b.destination)));
  }

  /** Every kept result of the last test run (the `results` query: one answer, so large runs read {@link resultsPage} instead). */
  get results(): TestResult[] {
    return unpackResults(this.packed);
  }

  /**
   * One page of the last test run's kept results, with the counts per kind over all of them.
   * @throws RangeError when offset or limit is not a whole number ≥ 0
   */
  resultsPage(offset: number, limit: number): ResultsPage {
    return resultsPage(this.packed, offset, limit);
  }

  // ---------------------------------------------------------------- apply

  /**
   * Parses and diffs an applied spec. A spec that does not parse, or changes what a live
   * scenario cannot change, is refused: listed in cleanupErrors, and nothing changes.
   * @returns the plan, or undefined when refused
   */
  planApply(input: ScenarioInput): ApplyPlan | undefined {
    // The rules of scenario runs from before the `merak-apply-update` patch (see checkApply).
    let next: ScenarioSpec;
    try {
      next = parseSpec(input);
    } catch (err) {
      this.cleanupErrors.push(`apply refused: ${errorText(err)}`);
      return undefined;
    }
    const diff = diffSpecs(this.spec, next);
    if (diff.refused.length > 0) {
      this.cleanupErrors.push(`apply refused: ${diff.refused.join('; ')}`);
      return undefined;
    }
    return { next, diff };
  }

  /**
   * Checks an applied spec against the scenario as it is, changing nothing: the `apply` update's
   * validator, and the main loop's check of every apply since the `merak-apply-update` patch.
   * Refused: a spec that does not parse, a change a live scenario cannot make ({@link SpecDiff.refused}
   * and {@link SpecDiff.unsafe}), and VMs a subnet cannot hold (every node's new count is reserved
   * on a copy of the address book, as the apply will do).
   * @throws SpecError naming every field that does not parse
   * @throws Error listing the changes that cannot be made
   * @throws AddressSpaceError naming the subnet without room
   */
  checkApply(input: ScenarioInput): ApplyPlan {
    const next = parseSpec(input);
    const diff = diffSpecs(this.spec, next);
    const refused = [...diff.refused, ...diff.unsafe];
    if (refused.length > 0) throw new Error(`the change cannot be applied to the running scenario: ${refused.join('; ')}`);
    // The slots and address book the apply will have: removed nodes free their slots and ranges,
    // new nodes take the lowest free slots in spec order, a new subnet layout starts a new book.
    const removed = new Set(diff.nodes.delete.map((n) => n.name));
    const slots: Record<string, number> = {};
    for (const [n, slot] of Object.entries(this.slots)) if (!removed.has(n)) slots[n] = slot;
    const used = new Set(Object.values(slots));
    let free = 0;
    for (const n of diff.nodes.create) {
      free = lowestFreeSlot(used, free);
      slots[n.name] = free;
      used.add(free);
    }
    const subnets = planSubnets(next, (kind, id) => this.assignedVni(kind, id));
    const book: AddressBook = diff.layoutChanged
      ? freshBook(next, subnets.length)
      : { blockSize: this.book.blockSize, next: [...this.book.next], nodes: Object.fromEntries(Object.entries(this.book.nodes).filter(([n]) => !removed.has(n))) };
    const placed = placeVms(next.placement, next.nodes, next.vmsPerNode, next.seed);
    next.nodes.forEach((n, i) => reserveAddressesInto(book, subnets, n.name, slots[n.name] ?? 0, placed[i]!, n.endpointsPerVm));
    return { next, diff };
  }

  /** Forgets nodes an `apply` removed: their desired counts, slots (free for new nodes) and ranges. */
  forgetNodes(names: readonly string[]): void {
    if (names.length === 0) return;
    const gone = new Set(names);
    for (const n of names) {
      delete this.desired[n];
      const slot = this.slots[n];
      if (slot !== undefined) {
        delete this.slots[n];
        this.usedSlots.delete(slot);
        this.freeSlotFrom = Math.min(this.freeSlotFrom, slot);
      }
      this.checkTarget(n);
    }
    // One copy of the node map for the whole list, not one per node.
    this.book = { ...this.book, nodes: Object.fromEntries(Object.entries(this.book.nodes).filter(([n]) => !gone.has(n))) };
  }

  /** Makes an applied spec the one the scenario runs (and hands on at continue-as-new). */
  adopt(next: ScenarioSpec, input: ScenarioInput): void {
    this.spec = next;
    this.input = input;
    this.indexSpec();
  }

  /** A new, empty address book for a new subnet layout (every VM is rebuilt). */
  resetAddressBook(): void {
    this.book = freshBook(this.spec, this.subnets().length);
  }

  /** The spec's placement becomes the desired state: its counts replace earlier scale requests. */
  placeDesired(): void {
    const placed = placeVms(this.spec.placement, this.spec.nodes, this.spec.vmsPerNode, this.spec.seed);
    this.spec.nodes.forEach((n, i) => this.setDesired(n.name, placed[i]!));
  }

  /**
   * After an apply failed half-way: the VMs each node has now become its desired count, so the
   * scenario rests as it is instead of retrying the failed step at once.
   */
  keepCurrentCounts(): void {
    for (const n of this.spec.nodes) this.setDesired(n.name, this.vms[n.name] ?? 0);
  }

  /** The build failed: phase `failed`, and the cause kept for the status. */
  fail(cause: unknown): string {
    this.failure = errorText(cause);
    this.phase = 'failed';
    return this.failure;
  }
}
