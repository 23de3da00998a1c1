/**
 * Removing what a scenario left in an OVN central's databases, by its owner records alone
 * (`ovn-chassis` and `ovn-nb` records, owner-record-format.ts), for `merak clean` after a
 * scenario whose workflow can no longer tear it down. A database whose socket is gone was removed
 * with its central: nothing is left in it. Rows are found by the scenario's mark
 * (`external_ids:merak-scenario`), never by a name pattern.
 */
import { existsSync } from 'node:fs';
import type { CommandRunner } from '../command';
import { asSet, ctl, kv, parseTables } from './ctl';

/** The external_ids key every row Merak makes in OVN carries: the owning scenario. */
export const SCENARIO_KEY = 'merak-scenario';

/**
 * Deletes the named chassis (Chassis, its Encaps and Chassis_Private) from the southbound
 * database behind `socket`. Missing ones are fine.
 * @returns how many were there
 */
export async function removeChassisRows(runner: CommandRunner, socket: string, names: readonly string[]): Promise<number> {
  if (names.length === 0 || !existsSync(socket)) return 0;
  const target = { tool: 'ovn-sbctl' as const, db: `unix:${socket}` };
  const [rows] = parseTables(await ctl(runner, target, [['--columns=name', 'list', 'Chassis']], { json: true }));
  const present = new Set((rows ?? []).map((r) => String(r.name)));
  const doomed = names.filter((n) => present.has(n));
  await ctl(runner, target, doomed.map((n) => ['--if-exists', 'chassis-del', n]));
  // chassis-del leaves Chassis_Private (OVN 23.03); it names the chassis by name.
  const [priv] = parseTables(await ctl(runner, target, [['--columns=_uuid,name', 'list', 'Chassis_Private']], { json: true }));
  const privDoomed = (priv ?? []).filter((r) => names.includes(String(r.name)));
  await ctl(runner, target, privDoomed.map((r) => ['--if-exists', 'destroy', 'Chassis_Private', String(r._uuid)]));
  return doomed.length;
}

/**
 * Deletes every row of the northbound database behind `socket` that carries this scenario's
 * mark: logical switch ports, then switches (with their remaining ports), then routers (with
 * their ports).
 * @returns how many rows were deleted
 */
export async function removeScenarioNbRows(runner: CommandRunner, socket: string, scenario: string): Promise<number> {
  if (!existsSync(socket)) return 0;
  const target = { tool: 'ovn-nbctl' as const, db: `unix:${socket}` };
  const mark = kv('external_ids', SCENARIO_KEY, scenario);
  const [lsps, lss, lrs] = parseTables(
    await ctl(
      runner,
      target,
      [
        ['--columns=_uuid', 'find', 'Logical_Switch_Port', mark],
        ['--columns=_uuid,ports', 'find', 'Logical_Switch', mark],
        ['--columns=_uuid', 'find', 'Logical_Router', mark],
      ],
      { json: true },
    ),
  );
  const inDoomedSwitch = new Set((lss ?? []).flatMap((r) => asSet(r.ports).map(String)));
  const commands: string[][] = [
    ...(lsps ?? []).filter((r) => !inDoomedSwitch.has(String(r._uuid))).map((r) => ['--if-exists', 'lsp-del', String(r._uuid)]),
    ...(lss ?? []).map((r) => ['--if-exists', 'ls-del', String(r._uuid)]),
    ...(lrs ?? []).map((r) => ['--if-exists', 'lr-del', String(r._uuid)]),
  ];
  await ctl(runner, target, commands);
  return (lsps ?? []).length + (lss ?? []).length + (lrs ?? []).length;
}
