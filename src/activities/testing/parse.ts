/** Reading the output of ping and iperf3. Pure, unit-tested on recorded outputs. */

/** Round-trip time in ms from `ping -c 1` output (`time=0.045 ms`), or undefined. */
export function parsePingRtt(stdout: string): number | undefined {
  const m = /\btime[=<]([0-9]+(?:\.[0-9]+)?) ?ms\b/.exec(stdout);
  return m ? Number(m[1]) : undefined;
}

/** A short reason from ping's output when no reply came back. */
export function pingFailure(stdout: string, stderr: string, code: number | null): string {
  const err = stderr.trim().split('\n').filter(Boolean).pop();
  if (err) return err.replace(/^ping: /, '');
  const loss = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  if (loss && loss[2] === '0') {
    const icmp = /From \S+ icmp_seq=\d+ (.+)/.exec(stdout);
    return icmp ? icmp[1].trim() : 'no reply (100% packet loss)';
  }
  return `ping exited with ${code ?? 'a signal'}`;
}

export type IperfOutcome = { ok: true; bitsPerSecond: number } | { ok: false; error: string };

interface IperfJson {
  error?: string;
  end?: {
    sum_received?: { bits_per_second?: number };
    sum_sent?: { bits_per_second?: number };
    sum?: { bits_per_second?: number };
  };
}

/**
 * Throughput from `iperf3 -c … -J` output: the receiver's rate for TCP (what actually arrived),
 * else the sender's or the UDP sum. An `error` field, unparsable text or a missing rate is a failure.
 */
export function parseIperf3Json(stdout: string): IperfOutcome {
  let doc: IperfJson;
  try {
    doc = JSON.parse(stdout) as IperfJson;
  } catch {
    const text = stdout.trim().slice(0, 200);
    return { ok: false, error: text ? `iperf3 printed no JSON: ${text}` : 'iperf3 printed nothing' };
  }
  if (doc.error) return { ok: false, error: `iperf3: ${doc.error}` };
  const bps = doc.end?.sum_received?.bits_per_second ?? doc.end?.sum_sent?.bits_per_second ?? doc.end?.sum?.bits_per_second;
  if (typeof bps !== 'number' || !Number.isFinite(bps)) return { ok: false, error: 'iperf3 JSON has no end.sum_received.bits_per_second' };
  return { ok: true, bitsPerSecond: bps };
}

/** Whether iperf3 -s failed because its port was taken (another test is using it). */
export function iperfPortBusy(output: string): boolean {
  return /Address already in use/i.test(output);
}

/** What /proc/net/stat/arp_cache says about the kernel's one IPv4 neighbour table. */
export interface NeighbourStat {
  /** Entries in the table now (every namespace's). */
  entries: number;
  /** Entries refused because the table was at `gc_thresh3` and nothing could be collected, since boot (summed over CPUs). */
  tableFulls: number;
}

/**
 * Reads /proc/net/stat/arp_cache: a header naming the columns, then one line of hexadecimal
 * counters per CPU (`entries` is the table's, the same on every line; the others are per CPU
 * and summed). Undefined when the text has no `entries` or `table_fulls` column (an older kernel).
 */
export function parseNeighbourStat(text: string): NeighbourStat | undefined {
  const lines = text.trim().split('\n').map((l) => l.trim().split(/\s+/));
  const head = lines[0] ?? [];
  const e = head.indexOf('entries');
  const f = head.indexOf('table_fulls');
  if (e < 0 || f < 0 || lines.length < 2) return undefined;
  let tableFulls = 0;
  for (const row of lines.slice(1)) tableFulls += parseInt(row[f] ?? '0', 16) || 0;
  return { entries: parseInt(lines[1]![e] ?? '0', 16) || 0, tableFulls };
}
