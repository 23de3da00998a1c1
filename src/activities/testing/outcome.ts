/** What one check saw, before it is judged against the pair's expectation. */
export interface CheckOutcome {
  /** Traffic got through (a reply, an echo, a measured stream). */
  reached: boolean;
  latencyMs?: number;
  throughputBps?: number;
  /** Why it did not get through, or why the check could not be made. */
  detail?: string;
  /**
   * The check could not be made at all (a server did not start, an end is not a scenario VM):
   * the result fails whatever the expectation, since nothing was proven.
   */
  inconclusive?: boolean;
}
