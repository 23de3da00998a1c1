import { renderJson, resultDocument } from '../../src/report/json';
import { SAMPLE } from './report-fixture';

describe('json', () => {
  it('is { summary, results } and parses back to the same results', () => {
    const doc = JSON.parse(renderJson(SAMPLE)) as ReturnType<typeof resultDocument>;
    expect(doc.summary).toMatchObject({ total: 7, passed: 4, failed: 3 });
    expect(doc.results).toEqual(SAMPLE);
  });

  it('drops unknown fields and keeps a stable key order', () => {
    const extra = { ...SAMPLE[0], debug: 'x' } as never;
    const doc = resultDocument([extra]);
    expect(Object.keys(doc.results[0])).toEqual(['kind', 'source', 'destination', 'negative', 'pass', 'latencyMs']);
    expect(renderJson([])).toBe('{\n  "summary": {\n    "total": 0,\n    "passed": 0,\n    "failed": 0,\n    "byKind": {},\n    "negative": {\n      "total": 0,\n      "passed": 0,\n      "failed": 0\n    }\n  },\n  "results": []\n}\n');
  });
});
