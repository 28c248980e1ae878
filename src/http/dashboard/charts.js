// The dashboard's drawing, loaded before app.js: total formatting helpers, the history charts
// (uPlot, served by the daemon), the ranked hand-off flow and a workflow's timeline. Every
// string from the data goes through esc() or textContent: agent and workflow names are input.
'use strict';

function esc(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
// Every figure is shown through these, and they are total: a figure may be null (a ratio with
// nothing to divide), missing (an older daemon), or anything else a snapshot can hold; one
// throw here would blank the page and drop the event stream.
function isNum(value) {
  return typeof value === 'number' && Number.isFinite(value);
}
/** A number with `digits` decimals, in exponent form once too long to read; '–' for no number. */
function fixed(value, digits = 2, suffix = '') {
  if (!isNum(value)) return '–';
  return `${Math.abs(value) >= 1e9 ? value.toExponential(2) : value.toFixed(digits)}${suffix}`;
}
function pct(ratio, digits = 1) {
  return isNum(ratio) ? fixed(ratio * 100, digits, '%') : '–';
}
function times(ratio) {
  return fixed(ratio, 2, 'x');
}
function dur(seconds) {
  if (!isNum(seconds)) return '–';
  const sign = seconds < 0 ? '-' : '';
  const s = Math.abs(seconds);
  if (s < 60) return `${sign}${fixed(s, 1)} s`;
  if (s < 3600) return `${sign}${fixed(s / 60, 1)} min`;
  if (s < 48 * 3600) return `${sign}${fixed(s / 3600, 1)} h`;
  return `${sign}${fixed(s / 86400, 1)} d`;
}
function count(n, one, many = `${one}s`) {
  return `${isNum(n) ? n : '–'} ${n === 1 ? one : many}`;
}
/**
 * A table whose columns listed in `optional` give way on a narrow screen (class "opt"), so
 * nothing hides behind a scrollbar; `numeric` columns are right-aligned.
 */
function table(head, rows, numeric = [], optional = []) {
  if (rows.length === 0) return '<p class="muted">none</p>';
  const cls = (i) => [numeric.includes(i) ? 'num' : '', optional.includes(i) ? 'opt' : ''].join(' ').trim();
  const th = head.map((h, i) => `<th class="${cls(i)}">${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td class="${cls(i)}">${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

// ---- history charts: overhead and success per bucket; runs per agent ----
const PALETTE = ['#2e6fd6', '#1e8449', '#b9770e', '#8e44ad', '#c0392b', '#7f8c8d'];
/** Agents drawn one by one in the runs chart; the rest are summed as "other agents". */
const CHART_AGENTS = 5;
const charts = { overhead: null, runs: null };

function chartWidth(element) {
  return Math.max(200, element.clientWidth);
}

function drawChart(key, element, options, data) {
  charts[key]?.destroy();
  element.replaceChildren();
  element.dataset.points = String(data[0].length);
  if (data[0].length === 0) {
    element.innerHTML = '<p class="muted">nothing dated in this range</p>';
    charts[key] = null;
    return;
  }
  charts[key] = new uPlot({ width: chartWidth(element), height: 170, ...options }, data, element);
}
addEventListener('resize', () => {
  for (const [key, id] of [['overhead', 'overhead-chart'], ['runs', 'runs-chart']]) charts[key]?.setSize({ width: chartWidth(document.getElementById(id)), height: 170 });
});

/** The x scale spans the range the data covers (`from` to `to`), whatever tab was open when. */
function xRange(history) {
  const from = Date.parse(history.from) / 1000;
  const to = Date.parse(history.to) / 1000;
  return isNum(from) && isNum(to) && to > from ? () => [from, to] : undefined;
}

function drawHistory(history, thresholdPct) {
  const buckets = Array.isArray(history?.buckets) ? history.buckets : [];
  const xs = buckets.map((b) => Date.parse(b.start) / 1000 + (history.bucket_seconds ?? 0) / 2);
  const num = (v) => (isNum(v) ? v : null);
  const points = { show: true, size: 5 };
  const range = xRange(history);
  drawChart(
    'overhead',
    document.getElementById('overhead-chart'),
    {
      scales: { x: { time: true, ...(range ? { range } : {}) }, y: { range: [0, 100] } },
      axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${t}%`), size: 52 }],
      series: [
        {},
        { label: 'overhead', stroke: PALETTE[0], width: 2, points, spanGaps: true },
        { label: 'success', stroke: PALETTE[1], width: 2, points, spanGaps: true },
        { label: 'threshold', stroke: '#c0392b', dash: [6, 4], points: { show: false } },
      ],
    },
    [xs, buckets.map((b) => num(b.overhead_pct)), buckets.map((b) => (isNum(b.success_rate) ? b.success_rate * 100 : null)), buckets.map(() => num(thresholdPct))],
  );
  const agents = Array.isArray(history?.agents) ? history.agents : [];
  const shown = agents.slice(0, CHART_AGENTS);
  const series = shown.map((_name, i) => buckets.map((b) => num(b.agent_runs?.[i])));
  const names = shown.map((name, i) => ({ label: String(name), stroke: PALETTE[i % PALETTE.length], width: 2, points }));
  if (agents.length > CHART_AGENTS) {
    series.push(buckets.map((b) => (b.agent_runs ?? []).slice(CHART_AGENTS).reduce((n, v) => n + (isNum(v) ? v : 0), 0)));
    names.push({ label: `${agents.length - CHART_AGENTS} other agents`, stroke: PALETTE[5], width: 2, dash: [3, 3], points });
  }
  drawChart('runs', document.getElementById('runs-chart'), { scales: { x: { time: true, ...(range ? { range } : {}) } }, axes: [{}, { size: 52 }], series: [{}, ...names] }, [xs, ...series]);
}

// ---- hand-offs: a ranked flow, the top pairs with their counts, the rest behind "N more" ----
const TOP_PAIRS = 8;
function handoffFlow(view) {
  const pairs = Array.isArray(view?.pairs?.items) ? view.pairs.items : [];
  if (pairs.length === 0) return '<p class="muted">no hand-offs yet</p>';
  const most = Math.max(1, ...pairs.map((p) => (isNum(p.handoffs) ? p.handoffs : 0)));
  const row = (p) => {
    const share = isNum(p.handoffs) ? Math.max(2, (100 * p.handoffs) / most) : 0;
    return `<li><span class="pair">${esc(p.from_agent ?? '(start)')} <span class="arrow">→</span> ${esc(p.to_agent ?? '(end)')}</span><span class="meter"><i style="width:${share.toFixed(1)}%"></i></span><span class="n">${esc(isNum(p.handoffs) ? p.handoffs : '–')}</span></li>`;
  };
  const total = isNum(view.pairs.count) ? view.pairs.count : pairs.length;
  const rest = pairs.slice(TOP_PAIRS);
  const unseen = total - pairs.length;
  const more =
    total > TOP_PAIRS
      ? `<details><summary>${total - TOP_PAIRS} more pairs</summary><ol class="flow" start="${TOP_PAIRS + 1}">${rest.map(row).join('')}</ol>` +
        (unseen > 0 ? `<p class="muted">and ${unseen} more: <code>oak-telemetry handoffs --limit 0</code></p>` : '') +
        '</details>'
      : '';
  return `<ol class="flow" id="handoff-top">${pairs.slice(0, TOP_PAIRS).map(row).join('')}</ol>${more}<p class="muted">${esc(count(view.handoffs, 'hand-off'))} between ${esc(count(total, 'pair'))}</p>`;
}

// ---- a workflow's timeline: its agents as bars on its time axis, gaps and idle time between ----
function timelineHtml(view) {
  if (view === null) return '<p class="muted">no such workflow in the telemetry</p>';
  const bars = Array.isArray(view.bars) ? view.bars : [];
  const t = (iso) => Date.parse(iso);
  const starts = bars.map((b) => t(b.start)).filter(isNum);
  const ends = bars.map((b) => t(b.end)).filter(isNum);
  const t0 = isNum(t(view.started_at)) ? t(view.started_at) : Math.min(...starts);
  const t1 = isNum(t(view.completed_at)) ? t(view.completed_at) : Math.max(...ends);
  const width = t1 - t0;
  const at = (ms) => (width > 0 ? Math.min(100, Math.max(0, ((ms - t0) / width) * 100)) : 0);
  const span = (from, to, cls, title) => {
    const left = at(from);
    const w = Math.max(0.6, at(to) - left);
    return `<i class="${cls}" style="left:${left.toFixed(2)}%;width:${w.toFixed(2)}%" title="${esc(title)}"></i>`;
  };
  const rows = bars.map((b, i) => {
    const prev = bars[i - 1];
    const gap = prev && isNum(b.gap_before_seconds) && b.gap_before_seconds > 0 ? span(t(prev.end), t(b.start), 'tl-gap', `gap ${dur(b.gap_before_seconds)}`) : '';
    const bar = span(t(b.start), t(b.end), `tl-bar ${b.status === 'failure' ? 'bad' : b.status === 'success' ? 'ok' : 'other'}`, `${b.agent_name}: ${b.status}, ${dur(b.duration_seconds)}`);
    return `<div class="tl-row"><span class="tl-name">${esc(b.agent_name)} <span class="muted">${esc(dur(b.duration_seconds))}</span></span><div class="tl-track">${gap}${bar}</div></div>`;
  });
  const idle = [];
  if (starts.length > 0 && isNum(view.idle_before_seconds) && view.idle_before_seconds > 0) idle.push(span(t0, Math.min(...starts), 'tl-idle', `idle before ${dur(view.idle_before_seconds)}`));
  if (ends.length > 0 && isNum(view.idle_after_seconds) && view.idle_after_seconds > 0) idle.push(span(Math.max(...ends), t1, 'tl-idle', `idle after ${dur(view.idle_after_seconds)}`));
  const when = (iso) => (isNum(t(iso)) ? new Date(t(iso)).toLocaleString() : '–');
  const more = isNum(view.invocations) && view.invocations > bars.length ? `<p class="muted">${bars.length} of ${view.invocations} invocations drawn</p>` : '';
  return (
    `<p id="timeline-summary">${esc(view.workflow_id)}${view.project ? ` · ${esc(view.project)}` : ''} · ${esc(count(view.invocations, 'invocation'))} · span ${esc(dur(view.span_seconds))} · ` +
    `no agent running ${esc(dur(view.coordination_seconds))} (idle before ${esc(dur(view.idle_before_seconds))}, gaps ${esc(dur(view.total_gap_seconds))}, idle after ${esc(dur(view.idle_after_seconds))})</p>` +
    `<div class="tl-row tl-axis"><span class="tl-name muted">workflow</span><div class="tl-track">${idle.join('')}<span class="tl-t0">${esc(when(view.started_at))}</span><span class="tl-t1">${esc(when(view.completed_at))}</span></div></div>` +
    rows.join('') +
    more +
    '<p class="legend muted"><i class="tl-bar ok"></i> success <i class="tl-bar bad"></i> failure <i class="tl-gap"></i> gap <i class="tl-idle"></i> idle</p>'
  );
}
