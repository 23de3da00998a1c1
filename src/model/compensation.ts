/**
 * Compensation that outlasts a Create still in flight (issue 11). A plugin Create whose outcome
 * the workflow does not know (its activity timed out, was cancelled, lost its connection, or
 * failed in any way) may still be running inside the plugin, or in the plugin's backend, and take
 * effect *after* the compensation deleted the object: the OVN plugin's `ovn-nbctl` daemon commits
 * a queued transaction once a frozen northbound database answers again, whatever its client's
 * deadline said. A delete must therefore not be trusted to have the last word on such an object.
 *
 * The workflow (src/workflows/plugin-stage.ts) answers that in three steps, whose pure parts are
 * here:
 * 1. it notes every object whose Create did not answer with success ({@link CreateAttempts});
 *    when there is one, it waits {@link settleDelayMs} before the first delete, by when every
 *    call it sent is past its gRPC deadline and a plugin that honours deadlines has stopped;
 * 2. a VPC delete refused FAILED_PRECONDITION ("still has subnets") deletes again the subnets of
 *    that VPC the scenario attempted ({@link CreateAttempts.subnetsOf}) and retries, at most
 *    {@link PARENT_DELETE_ROUNDS} times, waiting {@link parentRetryDelayMs} between rounds;
 * 3. after the deletes, the objects of unknown outcome are deleted once more (nodes, subnets,
 *    VPCs), which removes a VPC or node whose late Create landed after its first delete.
 *
 * Deleting twice is safe: the plugin contract makes Delete of a missing object succeed
 * (docs/network-plugin.md). Pure: no Temporal or Node imports (the workflows use it).
 */
import type { BuiltObject } from './status';

/** Rounds of "delete the VPC's subnets again, then the VPC" after a refused VPC delete. */
export const PARENT_DELETE_ROUNDS = 3;

/** Extra wait beyond the plugin's deadline before compensating (clock and transport slack), in ms. */
export const SETTLE_SLACK_MS = 1_000;

/**
 * How long the compensation waits before its first delete when a Create's outcome is unknown.
 * Each attempt of a plugin activity sends one RPC with the spec's deadline; when the workflow
 * sees the activity fail, its last attempt's RPC was sent at most `deadlineMs` ago, so after
 * `deadlineMs` (+ {@link SETTLE_SLACK_MS}) every client deadline has passed and a plugin that
 * stops at its deadline (the SDK's `signal`, src/plugin/sdk.ts) has stopped. A plugin or backend
 * that goes on regardless is what steps 2 and 3 are for.
 * @param deadlineMs - the spec's `plugin.deadlineMs` (a whole number ≥ 1)
 * @returns ms to wait
 * @throws RangeError when `deadlineMs` is not a whole number ≥ 1
 */
export function settleDelayMs(deadlineMs: number): number {
  if (!Number.isInteger(deadlineMs) || deadlineMs < 1) throw new RangeError(`deadlineMs: ${deadlineMs} is not a whole number of ms ≥ 1`);
  return deadlineMs + SETTLE_SLACK_MS;
}

/**
 * The wait before round `round` (0-based) of a refused VPC delete's retry: none before the first
 * (the subnet that blocked it has usually landed already), then 1 s, 2 s, … doubling, never more
 * than the plugin's deadline (a late Create lands within one deadline of a plugin that honours it).
 * @param round - 0 … PARENT_DELETE_ROUNDS − 1
 * @param deadlineMs - the spec's `plugin.deadlineMs`
 * @returns ms to wait
 * @throws RangeError when `round` is outside 0 … PARENT_DELETE_ROUNDS − 1 or `deadlineMs` < 1
 */
export function parentRetryDelayMs(round: number, deadlineMs: number): number {
  if (!Number.isInteger(round) || round < 0 || round >= PARENT_DELETE_ROUNDS) throw new RangeError(`round: ${round} is outside 0..${PARENT_DELETE_ROUNDS - 1}`);
  if (!Number.isInteger(deadlineMs) || deadlineMs < 1) throw new RangeError(`deadlineMs: ${deadlineMs} is not a whole number of ms ≥ 1`);
  return round === 0 ? 0 : Math.min(1_000 * 2 ** (round - 1), deadlineMs);
}

/**
 * The failure type (`ApplicationFailure.type`, e.g. `PluginFAILED_PRECONDITION`) of an error or
 * of the first error in its `cause` chain that has one (an activity's failure reaches the
 * workflow as an ActivityFailure whose cause carries the type). At most 8 links are followed.
 * @returns the type, or undefined when no link has a string `type`
 */
export function failureTypeOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 8 && typeof e === 'object' && e !== null; i++) {
    const t = (e as { type?: unknown }).type;
    if (typeof t === 'string' && t !== '') return t;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Failure type of a parent delete refused because children are left (the plugin's FAILED_PRECONDITION). */
export const PARENT_IN_USE_FAILURE = 'PluginFAILED_PRECONDITION';

const keyOf = (kind: BuiltObject['kind'], id: string) => `${kind}\u0000${id}`;

/**
 * The plugin objects one workflow run sent Creates for, and which of them have no known outcome.
 * Kept in memory only: the compensation it serves runs in the same run as the Creates (a build
 * never continues as new), and a teardown in a later run comes long after any Create settled.
 */
export class CreateAttempts {
  private readonly attempted = new Map<string, BuiltObject>();
  private readonly unknown = new Map<string, BuiltObject>();

  /** Notes a Create about to be sent; its outcome is unknown until {@link settle}. */
  sent(obj: BuiltObject): void {
    const key = keyOf(obj.kind, obj.id);
    if (!this.attempted.has(key)) this.attempted.set(key, { ...obj });
    this.unknown.set(key, this.attempted.get(key)!);
  }

  /**
   * Notes that an object's outcome is known: its Create answered with success (it exists, as the
   * workflow knows), or the compensation deleted it once more after it settled.
   */
  settle(kind: BuiltObject['kind'], id: string): void {
    this.unknown.delete(keyOf(kind, id));
  }

  /** Whether some Create did not answer with success (failed, timed out, cancelled, or is still awaited). */
  get anyUnknown(): boolean {
    return this.unknown.size > 0;
  }

  /** Objects of unknown outcome that `which` selects, in the order to delete them: nodes, subnets, VPCs; newest first within a kind. */
  unknownOutcomes(which: (b: BuiltObject) => boolean = () => true): BuiltObject[] {
    const rank = { node: 0, subnet: 1, vpc: 2 } as const;
    const list = [...this.unknown.values()].map((b) => ({ ...b })).filter(which);
    const order = new Map(list.map((b, i) => [b, i]));
    return list.sort((a, b) => rank[a.kind] - rank[b.kind] || order.get(b)! - order.get(a)!);
  }

  /**
   * Subnet ids of VPC `vpc` that this run sent a Create for, together with `recorded` (subnets
   * the scenario's record holds, e.g. from before a continue-as-new), each once, in first-seen order.
   */
  subnetsOf(vpc: string, recorded: readonly BuiltObject[] = []): string[] {
    const ids = new Set<string>();
    for (const b of [...recorded, ...this.attempted.values()]) if (b.kind === 'subnet' && b.vpc === vpc) ids.add(b.id);
    return [...ids];
  }
}
