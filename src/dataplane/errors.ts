/**
 * Typed errors of the dataplane. Each names what was wrong and what to do, so an operator
 * reading a failed Temporal activity knows the next step without reading the code.
 */

/** Bad input: names the field, the value and the rule it broke. Raised before anything is built. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`invalid ${field}: ${JSON.stringify(value)} (${rule})`);
  }
}

/**
 * The request is well formed, but what it needs is not there (a node namespace not made yet, the
 * VMs of endpoints, a plugin that is not installed). Not a failed command: a retry of the same
 * call finds the same state, so the activities fail it at once (src/model/failures.ts). The
 * message says what is missing and what to do. Kinds of it subclass it with their own name.
 */
export class PreconditionError extends Error {
  override readonly name: string = 'PreconditionError';
}

/** A kernel-facing command (ip, bridge, the namespace helper) failed. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    hint = 'check that the agent runs as root and that iproute2 is installed',
  ) {
    super(`command ${argv.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim().slice(0, 800)}; ${hint}`);
  }
}

/** The state directory holding owner records cannot be used. */
export class StateDirError extends Error {
  override readonly name = 'StateDirError';
  constructor(readonly path: string, reason: string) {
    super(`state directory ${path}: ${reason}; set MERAK_STATE_DIR to a writable directory`);
  }
}
