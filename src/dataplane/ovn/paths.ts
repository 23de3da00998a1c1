/**
 * Where OVN daemons live on this machine: one folder per central and per chassis below
 * RUN_ROOT/ovn, holding databases, sockets, pid files and logs (recorded as one `dir`), and the
 * names of the central's namespace and of the bridges inside a chassis. Pure.
 *
 * Unix socket paths are limited to 108 bytes; ovn-controller's control socket is
 * `<dir>/ovn-controller.<pid>.ctl`, so a chassis folder is `<root>/ovn/<tag>-<node>` (at most
 * 15 + 4 + 1 + 40 characters) rather than a nested path.
 */
import { RUN_ROOT } from '../owner-record-format';
import { InvalidInputError } from '../errors';

/** Folder of every OVN central and chassis folder. */
export const OVN_RUN_ROOT = `${RUN_ROOT}/ovn`;

/** Name of a central: part of its namespace and folder names. */
export const CENTRAL_NAME_RE = /^[a-z0-9][a-z0-9-]{0,15}$/;

/** The integration bridge of every chassis (ovn-bridge). */
export const INTEGRATION_BRIDGE = 'br-int';
/** The chassis's underlay bridge: its internal port carries the tunnel (encap) address. */
export const UNDERLAY_BRIDGE = 'br-ul';

/** TCP port the southbound database listens on in the central's namespace (IANA's OVSDB is 6640; OVN's convention is 6641 NB, 6642 SB). */
export const SB_PORT = 6642;

export function validateCentralName(name: unknown, field = 'central'): string {
  if (typeof name !== 'string' || !CENTRAL_NAME_RE.test(name)) {
    throw new InvalidInputError(field, name, `must match ${CENTRAL_NAME_RE} (lower-case letters, digits, '-', at most 16 characters)`);
  }
  return name;
}

/** The central's namespace. */
export const centralNetns = (name: string): string => `mk-ovn-${name}`;
/** The central's folder. */
export const centralDir = (name: string): string => `${OVN_RUN_ROOT}/central-${name}`;
/** A chassis's folder. */
export const chassisDir = (tag: string, node: string): string => `${OVN_RUN_ROOT}/${tag}-${node}`;

/** Files of a central. */
export function centralFiles(name: string) {
  const dir = centralDir(name);
  return {
    dir,
    nbDb: `${dir}/nb.db`,
    sbDb: `${dir}/sb.db`,
    nbSocket: `${dir}/nb.sock`,
    sbSocket: `${dir}/sb.sock`,
    /** Control socket of the central's `ovn-nbctl` daemon (OVN_NB_DAEMON). */
    nbctlSocket: `${dir}/ovn-nbctl.ctl`,
  };
}

/** Files of a chassis. */
export function chassisFiles(dir: string) {
  return { dir, confDb: `${dir}/conf.db`, dbSocket: `${dir}/db.sock` };
}

/** The central's end of its veth to a scenario's fabric, and the fabric's end (both ≤ 15 characters). */
export const centralFabricSide = (tag: string): string => `m${tag}ovnc`;
export const fabricCentralSide = (tag: string): string => `m${tag}ovnf`;
