/**
 * The report as one self-contained HTML page: the report JSON and Chart.js 4 (MIT,
 * https://www.chartjs.org, its UMD build from the chart.js package) are inlined, so the page opens
 * from a file with no network. Charts: time-to-reachable distribution, latency percentiles per
 * operation kind, per-node build time, and drops over time when the report carries them. Tables
 * give the same numbers as text; SLA gates are marked kept or violated.
 *
 * The JSON is embedded in a `<script type="application/json">` element with `<` escaped, so no
 * value from a scenario (names come from a spec) can end the element or inject markup.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ScenarioReport } from './scenario-report';

/** Chart.js's browser build, read from the installed package (its `exports` do not list the UMD file). */
export function chartJsSource(): string {
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

/** Text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside a <script> element: `<`, U+2028 and U+2029 escaped. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Inline Chart.js can't contain a literal `</script`: it would end the element. */
function scriptText(js: string): string {
  return js.replace(/<\/script/gi, '<\\/script');
}

const row = (cells: Array<string | number>, tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${escapeHtml(String(c))}</${tag}>`).join('')}</tr>`;

/** Renders the page. `chartJs` is the library's source (default: the installed chart.js). */
export function renderReportHtml(report: ScenarioReport, chartJs: string = chartJsSource()): string {
  const r = report;
  const s = r.reachability.summary;
  const env = r.environment;
  const gates = r.sla.gates.length
    ? `<table><thead>${row(['gate', 'limit', 'measured', 'verdict'], 'th')}</thead><tbody>${r.sla.gates
        .map((g) => `<tr class="${g.pass ? 'kept' : 'violated'}"><td>${escapeHtml(g.gate)}</td><td>${g.limit}</td><td>${g.actual ?? 'not measured'}</td><td>${g.pass ? 'kept' : 'VIOLATED'}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p>No SLA gates in this scenario (add <code>sla:</code> to its file).</p>';
  const ops = r.operations.map((o) => row([o.kind, o.count, o.failed, o.min, o.p50, o.p90, o.p99, o.max])).join('');
  const nodes = r.nodes.map((n) => row([n.name, n.vms, n.batches, n.buildMs, n.msPerVm])).join('');
  const unreachable = r.reachability.unreachable
    ? `<p class="violated">Never reachable (${r.reachability.unreachable}): ${r.reachability.unreachableNames.map(escapeHtml).join(', ')}</p>`
    : '';
  const drops = r.drops
    ? `<section id="drops"><h2>Drops over time</h2><div class="chart"><canvas id="chart-drops"></canvas></div></section>`
    : '';
  const failures = r.tests.failures.length
    ? `<table><thead>${row(['kind', 'source', 'destination', 'error'], 'th')}</thead><tbody>${r.tests.failures.map((t) => row([t.kind, t.source, t.destination, t.error ?? ''])).join('')}</tbody></table>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Merak report: ${escapeHtml(r.scenario.name)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
.kept td:last-child { color: #176b2c; } .violated, .violated td:last-child { color: #b00020; font-weight: bold; }
.chart { position: relative; height: 300px; } .verdict { font-size: 1.1em; }
footer, .env { color: #555; font-size: 12px; }
</style>
</head>
<body>
<h1>Merak report: scenario ${escapeHtml(r.scenario.name)}</h1>
<p>${escapeHtml(r.scenario.phase)} · ${r.scenario.nodes} nodes · ${r.scenario.vms} VMs · ${r.scenario.endpoints} endpoints · endpoint plugin ${escapeHtml(r.scenario.endpointPlugin)} · generated ${escapeHtml(r.generatedAt)}</p>
<p class="verdict ${r.sla.pass ? 'kept' : 'violated'}">SLA: ${r.sla.gates.length === 0 ? 'no gates' : r.sla.pass ? 'every gate kept' : `violated: ${r.sla.violated.map(escapeHtml).join(', ')}`}</p>
<section id="sla"><h2>SLA gates</h2>${gates}</section>
<section id="reachability"><h2>Time to reachable</h2>
<p>${r.reachability.reachable} of ${r.reachability.probed} probed endpoints reached (reachability: ${escapeHtml(r.reachability.setting)}); from the create request to the first echo reply a peer of the endpoint's VPC got. p50 ${s.p50} ms · p90 ${s.p90} ms · p95 ${s.p95} ms · p99 ${s.p99} ms · max ${s.max} ms</p>
${unreachable}
<div class="chart"><canvas id="chart-reachable"></canvas></div></section>
<section id="operations"><h2>Latency per operation</h2>
<div class="chart"><canvas id="chart-operations"></canvas></div>
<table><thead>${row(['operation', 'count', 'failed', 'min ms', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], 'th')}</thead><tbody>${ops}</tbody></table></section>
<section id="nodes"><h2>Build time per node</h2>
<div class="chart"><canvas id="chart-nodes"></canvas></div>
<table><thead>${row(['node', 'VMs', 'batches', 'build ms', 'ms per VM'], 'th')}</thead><tbody>${nodes}</tbody></table></section>
${drops}
<section id="tests"><h2>Connectivity tests</h2><p>${r.tests.passed} of ${r.tests.total} passed.</p>${failures}</section>
<footer class="env"><h2>Environment</h2><p>Merak ${escapeHtml(env.merak.version)}${env.merak.commit ? ` (commit ${escapeHtml(env.merak.commit)})` : ''} · Temporal CLI ${escapeHtml(env.temporal.cli ?? env.temporal.error ?? 'unknown')}${env.temporal.server ? ` (server ${escapeHtml(env.temporal.server)})` : ''} · Node.js ${escapeHtml(env.node)} · network plugin ${escapeHtml(env.provider.networkPlugin)} · endpoint plugin ${escapeHtml(env.provider.endpointPlugin)} ${escapeHtml(env.provider.endpointPluginVersion !== undefined ? JSON.stringify(env.provider.endpointPluginVersion) : (env.provider.error ?? ''))} · ${escapeHtml(env.machine.hostname)}: ${escapeHtml(env.machine.platform)} ${escapeHtml(env.machine.kernel)}, ${env.machine.cpus} CPUs ${escapeHtml(env.machine.cpuModel ?? '')}, ${Math.round(env.machine.memoryBytes / 2 ** 30)} GiB · report schema ${escapeHtml(r.schemaVersion)}</p></footer>
<script type="application/json" id="report-data">${scriptJson(r)}</script>
<script>${scriptText(chartJs)}</script>
<script>
(function () {
  var r = JSON.parse(document.getElementById('report-data').textContent);
  var common = { responsive: true, maintainAspectRatio: false, animation: false };
  function chart(id, config) {
    var el = document.getElementById(id);
    if (!el) return;
    config.options = Object.assign({}, common, config.options || {});
    new Chart(el, config);
    el.setAttribute('data-rendered', 'true');
  }
  var d = r.reachability.distribution;
  function fmt(v) { return v >= 100 ? Math.round(v) : Math.round(v * 10) / 10; }
  chart('chart-reachable', { type: 'bar', data: { labels: d.map(function (b) { return fmt(b.fromMs) + '–' + fmt(b.toMs); }), datasets: [{ label: 'endpoints (time to reachable, ms)', data: d.map(function (b) { return b.count; }), backgroundColor: '#3b7dd8' }] }, options: { scales: { x: { title: { display: true, text: 'ms from create request' } }, y: { beginAtZero: true, title: { display: true, text: 'endpoints' } } } } });
  var ops = r.operations;
  var pct = ['p50', 'p90', 'p99', 'max'], colors = ['#3b7dd8', '#f0a030', '#d04040', '#777'];
  chart('chart-operations', { type: 'bar', data: { labels: ops.map(function (o) { return o.kind; }), datasets: pct.map(function (p, i) { return { label: p + ' ms', data: ops.map(function (o) { return o[p]; }), backgroundColor: colors[i] }; }) }, options: { indexAxis: 'y', scales: { x: { type: 'logarithmic', title: { display: true, text: 'ms (log)' }, ticks: { autoSkip: false, callback: function (v) { var l = Math.log10(v); return Math.abs(l - Math.round(l)) < 1e-9 ? String(+v.toPrecision(1)) : ''; } } } } } });
  chart('chart-nodes', { type: 'bar', data: { labels: r.nodes.map(function (n) { return n.name; }), datasets: [{ label: 'build ms', data: r.nodes.map(function (n) { return n.buildMs; }), backgroundColor: '#4a9a5a' }] }, options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'ms' } } } } });
  if (r.drops) {
    var reasons = Object.keys(r.drops.byReason);
    chart('chart-drops', { type: 'line', data: { labels: r.drops.t, datasets: reasons.map(function (k) { return { label: k, data: r.drops.byReason[k], fill: false }; }) }, options: { scales: { x: { title: { display: true, text: 's' } }, y: { beginAtZero: true, title: { display: true, text: 'drops' } } } } });
  }
  document.body.setAttribute('data-charts', String(document.querySelectorAll('canvas[data-rendered]').length));
})();
</script>
</body>
</html>
`;
}
