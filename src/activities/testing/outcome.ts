/** What one check saw (the type lives with the pure rules that judge it, src/model/checks.ts). */
export type { CheckOutcome } from '../../model/checks';
