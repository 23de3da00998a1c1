/** Base class of every error from the Temporal toolchain code, so callers can catch them as a family. */
export class TemporalToolchainError extends Error {
  override readonly name: string = 'TemporalToolchainError';
}

/** No usable Temporal CLI binary was found; the message says how to get one. */
export class TemporalCliNotFoundError extends TemporalToolchainError {
  override readonly name = 'TemporalCliNotFoundError';
  constructor(
    message: string,
    /** Every place that was looked at, in order. */
    readonly searched: readonly string[],
  ) {
    super(message);
  }
}

/**
 * A connection or dev-server option has a bad value. Names the option (flag and/or environment
 * variable), the value and the rule it broke.
 */
export class TemporalOptionError extends TemporalToolchainError {
  override readonly name = 'TemporalOptionError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`${field}: ${JSON.stringify(value)} is invalid: ${rule}`);
  }
}

/** The dev server could not be started, did not become healthy in time, or could not be stopped. */
export class DevServerError extends TemporalToolchainError {
  override readonly name = 'DevServerError';
}
