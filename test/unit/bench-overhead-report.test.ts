/** The scenario benchmark's overhead figure: the median of the pairs, and the paragraph that reports it. */
import { median, overheadText, verdicts, type OverheadResult, type Summary } from '../../bench/scenario/report';

describe('median', () => {
  test('odd count: the middle value, whatever the order', () => {
    expect(median([45.4, 34.8, 7.3, 19.7, 31.1, 1.5, 4.6, 17.6, 3.5])).toBe(17.6);
  });
  test('even count: the mean of the two middle values', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  test('an outlier pair moves it by at most one place', () => {
    expect(median([1, 2, 3, 4, 500])).toBe(3);
  });
  test('no values is an error, not 0', () => {
    expect(() => median([])).toThrow('median of no values');
  });
});

const run: OverheadResult = {
  vms: 1000,
  batchSize: 500,
  rounds: 3,
  settleMs: 5000,
  workflowMs: [4000, 3000, 5000],
  workflowQueryMs: [4100, 3100, 5100],
  directMs: [3800, 3100, 4000],
  pairPct: [5.3, -3.2, 25],
  order: ['workflow-direct', 'direct-workflow', 'workflow-direct'],
  activityMs: [3700, 2800, 4600],
  dispatchMs: [5, 6, 7],
  cpu: [
    { workflow: { bench: 700, devServer: 200, workflowThread: 90, children: 3600 }, direct: { bench: 400, children: 3500 } },
    { workflow: { bench: 600, devServer: 180, workflowThread: 80, children: 3400 }, direct: { bench: 350, children: 3450 } },
    { workflow: { bench: 900, devServer: 300, workflowThread: 110, children: 3900 }, direct: { bench: 500, children: 3700 } },
  ],
  historyEvents: { scenario: 60, node: 19 },
  overheadPct: 5.3,
  overheadMeanPct: 10.3,
  medianDiffMs: 200,
  medianDirectMs: 3800,
  loadBefore: '1 1 1',
  loadAfter: '2 2 2',
  activityCalls: 2,
};

describe('overheadText', () => {
  test('names every pair, the median as the figure, the mean beside it, and the CPU medians', () => {
    const t = overheadText(run);
    expect(t).toContain('4000/3800 (5.3 %), 3000/3100 (-3.2 %), 5000/4000 (25 %)');
    expect(t).toContain('**Overhead: median of the pairs 5.3 %** (ratio of the means 10.3 %');
    expect(t).toContain('the workflow thread 90');
    expect(t).toContain('dev server 200');
    expect(t).toContain('History: scenario build run 60 events, node run 19.');
  });
  test('a results file from before the pairs is still reported, as a ratio of means', () => {
    const { pairPct: _p, cpu: _c, ...old } = run;
    expect(overheadText(old)).toContain('Overhead (ratio of means) 5.3 %');
  });
});

describe('verdicts', () => {
  const sum = (o: OverheadResult): Summary => ({ date: '', machine: '', partial: false, settings: {}, overhead: o, reference: [], none: [], targets: {} });
  test('the overhead target is judged on the median and says so', () => {
    expect(verdicts(sum(run)).overhead).toBe('met (5.3 % vs 10 %, median of 3 pairs)');
    expect(verdicts(sum({ ...run, overheadPct: 17.6 })).overhead).toBe('missed (17.6 % vs 10 %, median of 3 pairs)');
  });
});
