// The live dashboard: one page, no build step. It reads the daemon's Server-Sent Events
// (/api/v1/events) and renders every section from each snapshot. A token, when the daemon
// needs one, comes from the URL fragment (#token=...), which browsers never send to a server.
'use strict';

const token = new URLSearchParams(location.hash.slice(1)).get('token');
const headers = token ? { authorization: `Bearer ${token}` } : {};
const $ = (id) => document.getElementById(id);

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
function table(head, rows, numeric = []) {
  if (rows.length === 0) return '<p class="muted">none</p>';
  const th = head.map((h, i) => `<th class="${numeric.includes(i) ? 'num' : ''}">${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td class="${numeric.includes(i) ? 'num' : ''}">${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

// ---- overhead chart (uPlot): the alert window's overhead over time, against the threshold ----
const series = [[], [], []];
let chart = null;
function chartWidth() {
  return Math.max(280, $('overhead-card').clientWidth - 32);
}
function plotOverhead(at, value, threshold) {
  series[0].push(at);
  series[1].push(value);
  series[2].push(threshold);
  if (series[0].length > 600) series.forEach((s) => s.shift());
  if (chart === null) {
    chart = new uPlot(
      {
        width: chartWidth(),
        height: 160,
        // At least a minute wide, so the first points draw as a line, not a dot in years of axis.
        scales: { x: { time: true, range: (_u, min, max) => [Math.min(min, max - 60), max] }, y: { range: [0, 100] } },
        axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${t}%`) }],
        series: [{}, { label: 'window overhead', stroke: '#2e6fd6', width: 2 }, { label: 'threshold', stroke: '#c0392b', dash: [6, 4] }],
      },
      series,
      $('overhead-chart'),
    );
    addEventListener('resize', () => chart.setSize({ width: chartWidth(), height: 160 }));
  } else {
    chart.setData(series);
  }
}

// ---- the hand-off graph: agents on a circle, one arrow per pair, width by count ----
function handoffGraph(pairs) {
  if (pairs.length === 0) return '<p class="muted">no hand-offs yet</p>';
  const names = [...new Set(pairs.flatMap((p) => [p.from_agent ?? '(none)', p.to_agent ?? '(none)']))];
  const size = 320;
  const r = 120;
  const pos = new Map(names.map((n, i) => [n, [size / 2 + r * Math.cos((2 * Math.PI * i) / names.length), size / 2 + r * Math.sin((2 * Math.PI * i) / names.length)]]));
  const most = Math.max(...pairs.map((p) => p.handoffs));
  const edges = pairs
    .map((p) => {
      const [x1, y1] = pos.get(p.from_agent ?? '(none)');
      const [x2, y2] = pos.get(p.to_agent ?? '(none)');
      const share = p.handoffs / most;
      const w = 1 + 4 * (isNum(share) ? share : 0);
      return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#2e6fd6" stroke-opacity="0.45" stroke-width="${w}" marker-end="url(#arrow)"><title>${esc(`${p.from_agent} -> ${p.to_agent}: ${p.handoffs} hand-offs`)}</title></line>`;
    })
    .join('');
  const nodes = names
    .map((n) => {
      const [x, y] = pos.get(n);
      return `<circle cx="${x}" cy="${y}" r="5" fill="#1d2430"/><text x="${x + 7}" y="${y + 4}">${esc(n)}</text>`;
    })
    .join('');
  return `<svg viewBox="0 0 ${size + 140} ${size}" width="100%" role="img" aria-label="hand-off graph"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#2e6fd6"/></marker></defs>${edges}${nodes}</svg>`;
}

// ---- trends come from the API (they depend on the clock), refreshed now and then ----
const trends = new Map();
let trendsAt = 0;
let lastSnapshot = null;
let lastPlotted = null;
async function refreshTrends(agents) {
  if (Date.now() - trendsAt < 30_000) return;
  trendsAt = Date.now();
  for (const agent of agents) {
    try {
      const res = await fetch(`/api/v1/trends/${encodeURIComponent(agent)}`, { headers });
      if (res.ok) trends.set(agent, (await res.json()).trend);
    } catch {
      // the next snapshot tries again
    }
  }
  if (lastSnapshot !== null) render(lastSnapshot);
}

/** One readable line per alert, from its details. */
function describeAlert(a) {
  const d = a.details ?? {};
  if (a.alert === 'coordination_overhead') return `${fixed(d.overhead_pct, 2, '%')} of workflow time outside agents over the last ${d.window} workflows (threshold ${d.threshold_pct}%)`;
  if (a.alert === 'open_workflow_too_long') {
    const oldest = (d.oldest ?? [])[0];
    return `${d.count} workflows open longer than ${d.max_age_hours} h` + (oldest ? `; oldest ${oldest.workflow_id} (${dur(oldest.age_seconds)})` : '');
  }
  if (a.alert === 'agent_success_low') return `${d.agent}: ${pct(d.rolling_success_rate)} success over its last ${d.runs} decided runs (floor ${pct(d.floor, 0)})`;
  return JSON.stringify(d).slice(0, 160);
}

/**
 * The I/O faults card (health.faults: a telemetry file unreadable, the state dir full...): shown
 * only while there are some. Built with textContent, since file names and messages come from outside.
 */
function renderFaults(faults) {
  const list = Array.isArray(faults) ? faults : [];
  $('faults-card').hidden = list.length === 0;
  const rows = list.map((f) => {
    const tr = document.createElement('tr');
    const since = Number.isNaN(Date.parse(f.since)) ? f.since : new Date(f.since).toLocaleString();
    [f.file, f.op, f.code, since, f.attempts, f.message].forEach((value, i) => {
      const td = document.createElement('td');
      if (i === 4) td.className = 'num';
      td.textContent = String(value ?? '–');
      tr.append(td);
    });
    return tr;
  });
  $('faults').replaceChildren(...rows);
}

/**
 * health.hook_errors: what the Claude Code hook could not record (it never fails the agent, so
 * this is where it shows). One line, shown once there is one; text only, the message is outside input.
 */
function renderHookErrors(h) {
  const count = h?.count ?? 0;
  $('hook-errors-card').hidden = count === 0;
  if (count === 0) return;
  const last = h.last;
  const at = last?.at && !Number.isNaN(Date.parse(last.at)) ? new Date(last.at).toLocaleString() : '–';
  $('hook-errors').textContent =
    `${count} error${count === 1 ? '' : 's'} in hook-errors.jsonl (state dir)` + (last ? `; last at ${at}${last.event ? ` (${last.event})` : ''}: ${last.error}` : '');
}

function render(s) {
  lastSnapshot = s;
  renderFaults(s.health?.faults);
  renderHookErrors(s.health?.hook_errors);
  const empty = s.stats.total_invocations === 0 && s.workflows.total_workflows === 0;
  $('empty').hidden = !empty;
  const threshold = s.overhead_window?.threshold_pct ?? 30;
  const all = s.overhead.workflows_counted > 0 && isNum(s.overhead.coordination_overhead_pct) ? s.overhead.coordination_overhead_pct : null;
  const win = s.overhead_window && s.overhead_window.workflows_counted > 0 && isNum(s.overhead_window.coordination_overhead_pct) ? s.overhead_window.coordination_overhead_pct : null;
  $('overhead-all').textContent = fixed(all, 2, '%');
  $('overhead-window').textContent = fixed(win, 2, '%');
  $('overhead-window').className = `big ${win === null ? '' : win > threshold ? 'over' : 'under'}`;
  $('overhead-window-label').textContent = `last ${s.overhead_window?.window ?? 50} completed workflows`;
  $('overhead-threshold').textContent = `${threshold}%`;
  if (win !== null && s !== lastPlotted) plotOverhead(Date.parse(s.generated_at) / 1000, win, threshold);
  lastPlotted = s;

  $('alerts').innerHTML =
    s.alerts.active.length === 0
      ? '<p class="muted">none firing</p>'
      : s.alerts.active.map((a) => `<div class="alert"><strong>${esc(a.alert.replaceAll('_', ' '))}</strong> <span class="muted">since ${esc(new Date(a.since).toLocaleString())}</span><br>${esc(describeAlert(a))}</div>`).join('');

  const rolling = new Map(s.agents.items.map((a) => [a.agent_name, a]));
  const slow = new Map(s.bottlenecks.slow_agents.items.map((a) => [a.agent_name, a]));
  const agentNames = Object.keys(s.stats.agents);
  void refreshTrends(agentNames);
  $('agents').innerHTML = table(
    ['Agent', 'Invocations', 'Success', 'Rolling success', 'p50 duration', 'p90 duration', 'Quality', 'Trend'],
    agentNames.map((name) => {
      const a = s.stats.agents[name];
      return [
        name,
        a.invocation_count,
        pct(a.success_rate),
        pct(rolling.get(name)?.rolling_success_rate ?? null),
        dur(slow.get(name)?.p50_seconds),
        dur(slow.get(name)?.p90_seconds),
        a.average_quality > 0 ? fixed(a.average_quality, 2, ' / 5') : '–',
        trends.get(name) ?? '…',
      ];
    }),
    [1, 2, 3, 4, 5, 6],
  );

  $('open').innerHTML =
    (s.open_workflows.count > s.open_workflows.items.length ? `<p class="muted">${s.open_workflows.items.length} of ${s.open_workflows.count} shown</p>` : '') +
    table(
      ['Workflow', 'Project', 'Agents so far', 'Running', 'Age'],
      s.open_workflows.items.map((w) => [w.workflow_id, w.project ?? '–', w.agents.join(', ') || '–', w.running_agent ?? '–', dur(w.age_seconds)]),
      [4],
    );

  $('patterns').innerHTML = table(['Pattern', 'Workflows'], s.workflows.most_common_patterns.map((p) => [p.pattern || '(no agents)', p.count]), [1]);
  $('handoffs').innerHTML = handoffGraph(s.handoffs.pairs.items) + `<p class="muted">${s.handoffs.handoffs} hand-offs, ${s.handoffs.pairs.count} pairs (as of ${esc(s.workflow_views_as_of)})</p>`;
  const e = s.estimates.overall;
  $('estimates').innerHTML =
    e.workflows === 0
      ? '<p class="muted">no completed workflow with an estimate yet</p>'
      : `<p>${e.workflows} workflows: median ${times(e.median_ratio)}, p90 ${times(e.p90_ratio)} of the estimate; ${pct(e.over_estimate_share)} over it, ${e.overruns} over 2x</p>` +
        table(['Project', 'Workflows', 'Median', 'p90'], s.estimates.projects.slice(0, 8).map((p) => [p.project ?? '–', p.workflows, times(p.median_ratio), times(p.p90_ratio)]), [1, 2, 3]) +
        (s.estimates.projects.length > 8 ? `<p class="muted">${s.estimates.projects.length - 8} more projects: oak-telemetry estimates</p>` : '');
  const b = s.bottlenecks;
  $('bottlenecks').innerHTML =
    '<h3 class="label">Slowest hand-overs (median gap)</h3>' +
    table(['From', 'To', 'Median gap', 'p90 gap'], b.slow_transitions.items.slice(0, 5).map((t) => [t.from_agent, t.to_agent, dur(t.median_seconds), dur(t.p90_seconds)]), [2, 3]) +
    `<h3 class="label">Failures that ended a workflow (${b.failure_enders.unsuccessful_workflows} unsuccessful)</h3>` +
    table(['Agent', 'Workflows', 'Share'], b.failure_enders.items.slice(0, 5).map((f) => [f.agent_name, f.workflows, pct(f.share)]), [1, 2]) +
    `<h3 class="label">Workflows over ${b.over_threshold.threshold_pct}% overhead: ${b.over_threshold.count}</h3>`;
  // Stream mode (daemon --nats): where each shipping host stands.
  const stream = s.health.stream;
  $('hosts-card').hidden = stream === undefined;
  if (stream !== undefined) {
    $('hosts').innerHTML =
      `<p class="muted">stream ${esc(stream.name)} · sequence ${stream.seq} · ${stream.lag_messages} messages waiting</p>` +
      table(['Host', 'Messages', 'Last event', 'Waiting'], stream.hosts.map((h) => [h.host, h.messages, h.last_event_at === null ? '–' : new Date(h.last_event_at).toLocaleString(), h.lag_messages]), [1, 3]);
  }
  $('status').textContent = `live · ${s.health.events_applied} events${stream === undefined ? '' : ` from ${stream.hosts.length} hosts`} · updated ${new Date(s.generated_at).toLocaleTimeString()}`;
}

// ---- the event stream (fetch, so a token can travel in a header); reconnects on its own ----
async function follow() {
  for (;;) {
    try {
      const res = await fetch('/api/v1/events', { headers });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let pending = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += value;
        let end;
        while ((end = pending.indexOf('\n\n')) !== -1) {
          const frame = pending.slice(0, end);
          pending = pending.slice(end + 2);
          let event = '';
          const data = [];
          for (const line of frame.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (event === 'snapshot') render(JSON.parse(data.join('\n')));
        }
      }
    } catch (error) {
      $('status').textContent = `disconnected (${error.message}); retrying…`;
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
follow();
