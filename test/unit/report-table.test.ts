import { renderTable } from '../../src/report/table';
import { formatBps, formatMs, summarize, summaryLine } from '../../src/report/summary';
import { SAMPLE } from './report-fixture';

describe('summary', () => {
  it('counts overall, per kind in first-seen order, and negative checks', () => {
    const s = summarize(SAMPLE);
    expect(s).toMatchObject({ total: 7, passed: 4, failed: 3, negative: { total: 2, passed: 1, failed: 1 } });
    expect(Object.keys(s.byKind)).toEqual(['icmp', 'tcp', 'iperf']);
    expect(s.byKind.icmp).toEqual({ total: 4, passed: 2, failed: 2 });
    expect(summaryLine(s)).toBe('4 passed, 3 failed of 7 (icmp 2/4, tcp 1/2, iperf 1/1)');
    expect(summaryLine(summarize([]))).toBe('0 passed, 0 failed of 0');
  });

  it('formats rates and times', () => {
    expect(formatBps(11556598893)).toBe('11.56 Gbit/s');
    expect(formatBps(999)).toBe('999 bit/s');
    expect(formatBps(1000)).toBe('1.00 kbit/s');
    expect(formatBps(2.5e15)).toBe('2500.00 Tbit/s');
    expect(formatMs(0.131)).toBe('0.131 ms');
    expect(formatMs(12.44)).toBe('12.4 ms');
    expect(formatMs(1234.4)).toBe('1234 ms');
  });
});

describe('table', () => {
  it('has one row per check with expectation, verdict, measurement and error, then the summary', () => {
    const out = renderTable(SAMPLE);
    const lines = out.split('\n');
    const rows = lines.filter((l) => /^│ (icmp|tcp|udp|iperf) /.test(l));
    expect(rows).toHaveLength(7);
    expect(rows[0]).toMatch(/icmp .* n1\/vm-0 \(10\.250\.7\.1\) .* n2\/vm-0 \(10\.250\.7\.2\) .* reach .* PASS .* 0\.131 ms/);
    expect(rows[2]).toMatch(/blocked .* FAIL .* 0\.037 ms .* reached a VM of another VPC: isolation is broken/);
    expect(rows[6]).toMatch(/iperf .* PASS .* 11\.56 Gbit\/s/);
    expect(lines).toContain('4 passed, 3 failed of 7 (icmp 2/4, tcp 1/2, iperf 1/1)');
    // Plain output carries no terminal escape codes.
    expect(out).not.toContain('\u001b[');
  });

  it('cuts long errors to one line, shows only failures on request, colours verdicts for terminals', () => {
    const long = { ...SAMPLE[1], error: `first line\nsecond ${'x'.repeat(200)}` };
    const out = renderTable([long], { maxErrorLength: 30 });
    expect(out).toContain('first line second xxxxxxxxxxx…');
    expect(out).not.toContain('x'.repeat(31));
    const failed = renderTable(SAMPLE, { failedOnly: true });
    expect(failed.split('\n').filter((l) => / (PASS|FAIL) /.test(l))).toHaveLength(3);
    expect(renderTable(SAMPLE, { color: true })).toContain('\u001b[32mPASS\u001b[39m');
  });
});
