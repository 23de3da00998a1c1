/**
 * One line of text for an error and its causes, for `status.error` and `status.cleanupErrors`.
 * Temporal wraps an activity's error in an ActivityFailure whose message says only which
 * activity failed; the plugin's own words are in `cause` (one or two levels down), so they are
 * appended, each once.
 *
 * @param err anything thrown; non-errors are turned into strings
 * @returns the message, then ": <cause message>" for each cause whose message is not already in
 *   the text, at most five causes deep (a cause chain can be cyclic)
 */
export function errorText(err: unknown): string {
  let text = err instanceof Error ? err.message : String(err);
  let cause = err instanceof Error ? (err as { cause?: unknown }).cause : undefined;
  for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (cause.message && !text.includes(cause.message)) text = `${text}: ${cause.message}`;
    cause = (cause as { cause?: unknown }).cause;
  }
  return text;
}
