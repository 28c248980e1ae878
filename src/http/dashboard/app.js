// The live dashboard: one page, no build step. It reads the daemon's Server-Sent Events
// (/api/v1/events) and renders every section from each snapshot; the history charts, hand-offs
// and timelines come from the query routes (/api/v1/history...), asked again when events were
// applied or a filter changed. A token, when the daemon needs one, comes from the URL fragment
// (#token=...), which browsers never send to a server. Formatting and drawing: charts.js.
'use strict';

const token = new URLSearchParams(location.hash.slice(1)).get('token');
const headers = token ? { authorization: `Bearer ${token}` } : {};
const $ = (id) => document.getElementById(id);

/** A query route's answer, or undefined when it could not be had (the next refresh tries again). */
async function api(route, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''));
  try {
    const res = await fetch(`${route}${query.size > 0 ? `?${query}` : ''}`, { headers });
    return res.ok ? await res.json() : undefined;
  } catch {
    return undefined;
  }
}

// ---- trends come from the API (they depend on the clock), refreshed now and then ----
const trends = new Map();
let trendsAt = 0;
let lastSnapshot = null;
async function refreshTrends(agents) {
  if (Date.now() - trendsAt < 30_000) return;
  trendsAt = Date.now();
  for (const agent of agents) {
    const view = await api(`/api/v1/trends/${encodeURIComponent(agent)}`);
    if (view) trends.set(agent, view.trend);
  }
  if (lastSnapshot !== null) render(lastSnapshot);
}

// ---- the filtered views: history, hand-offs, timeline choices (project and time range) ----
const filters = { project: '', rangeDays: '' };
/** Workflows offered for a timeline, by id: label and why they are offered. */
let picks = [];
let viewsFor = null;
let viewsBusy = false;
/** Asked again while the views were being fetched: fetch again once they are. */
let viewsStale = false;
let viewsTimer = null;
const VIEW_REFRESH_MS = 3000;
let viewsAt = 0;

/** The `since` of the range: that many days before the end of the data (not of the clock). */
function sinceOf(history) {
  const days = Number(filters.rangeDays);
  const to = Date.parse(history?.to);
  if (!days || !isNum(to)) return undefined;
  return new Date(to - days * 86_400_000).toISOString();
}

async function refreshViews(snapshot, force = false) {
  const key = `${snapshot.health?.events_applied}|${filters.project}|${filters.rangeDays}`;
  if (!force && key === viewsFor) return;
  if (viewsBusy) {
    viewsStale = true;
    return;
  }
  // At most one fetch per VIEW_REFRESH_MS while events pour in; the last snapshot is never left out.
  const wait = VIEW_REFRESH_MS - (Date.now() - viewsAt);
  if (!force && wait > 0) {
    viewsTimer ??= setTimeout(() => {
      viewsTimer = null;
      if (lastSnapshot !== null) void refreshViews(lastSnapshot);
    }, wait);
    return;
  }
  viewsBusy = true;
  viewsAt = Date.now();
  try {
    const project = filters.project || undefined;
    let history = await api('/api/v1/history', { project });
    const since = sinceOf(history);
    if (since !== undefined) history = await api('/api/v1/history', { project, since });
    const [handoffs, gaps, estimates] = await Promise.all([
      api('/api/v1/handoffs', { project, since, limit: 40 }),
      api('/api/v1/gaps', { project, since, limit: 5 }),
      api('/api/v1/estimates', { project, since, limit: 5 }),
    ]);
    viewsFor = key;
    renderHistory(history, snapshot.overhead_window?.threshold_pct ?? 30, since);
    if (handoffs) $('handoffs').innerHTML = handoffFlow(handoffs);
    renderPicks(gaps, estimates);
  } finally {
    viewsBusy = false;
  }
  if (viewsStale && lastSnapshot !== null) {
    viewsStale = false;
    void refreshViews(lastSnapshot);
  }
}

function renderHistory(history, thresholdPct, since) {
  if (!history) return;
  const day = (iso) => (typeof iso === 'string' ? iso.slice(0, history.bucket === 'hour' ? 13 : 10).replace('T', ' ') + (history.bucket === 'hour' ? 'h' : '') : '–');
  const completed = (history.buckets ?? []).reduce((n, b) => n + (isNum(b.workflows_counted) ? b.workflows_counted : 0), 0);
  $('history-summary').textContent =
    history.from === null
      ? 'No dated runs in this range.'
      : `${count(history.runs, 'run')} per ${history.bucket} (UTC) from ${day(history.from)} to ${day(history.to)}; overhead of ${count(completed, 'completed workflow')} by completion time` +
        (since ? ` (since ${since.slice(0, 16).replace('T', ' ')})` : '');
  drawHistory(history, thresholdPct);
}

function renderPicks(gaps, estimates) {
  const next = [];
  for (const w of gaps?.workflows?.items ?? []) next.push({ id: w.workflow_id, label: `${w.workflow_id}: ${dur(w.coordination_seconds)} with no agent running` });
  for (const w of estimates?.worst?.items ?? []) {
    if (!next.some((p) => p.id === w.workflow_id)) next.push({ id: w.workflow_id, label: `${w.workflow_id}: ${times(w.ratio)} its estimate` });
  }
  const select = $('timeline-pick');
  const chosen = select.value;
  picks = next;
  select.replaceChildren(
    ...picks.map((p) => {
      const option = document.createElement('option');
      option.value = p.id;
      option.textContent = p.label;
      return option;
    }),
  );
  if (picks.some((p) => p.id === chosen)) select.value = chosen;
  if ($('timeline-id').value.trim() === '') void showTimeline(select.value);
}

let timelineFor = null;
async function showTimeline(id) {
  if (!id) {
    $('timeline').innerHTML = '<p class="muted">no workflow to show yet</p>';
    return;
  }
  timelineFor = id;
  const view = await api(`/api/v1/workflows/${encodeURIComponent(id)}/timeline`);
  if (timelineFor !== id || view === undefined) return;
  $('timeline').innerHTML = timelineHtml(view);
  $('timeline').dataset.workflow = id;
}

$('timeline-pick').addEventListener('change', (e) => {
  $('timeline-id').value = '';
  void showTimeline(e.target.value);
});
$('timeline-id').addEventListener('change', (e) => void showTimeline(e.target.value.trim() || $('timeline-pick').value));
for (const id of ['project', 'range']) {
  $(id).addEventListener('change', () => {
    filters.project = $('project').value;
    filters.rangeDays = $('range').value;
    if (lastSnapshot !== null) {
      render(lastSnapshot);
      void refreshViews(lastSnapshot, true);
    }
  });
}

/** The projects the snapshot names, as filter choices (the chosen one kept). */
function renderProjects(s) {
  const names = new Set();
  for (const p of s.estimates?.projects ?? []) if (typeof p.project === 'string') names.add(p.project);
  for (const w of s.open_workflows?.items ?? []) if (typeof w.project === 'string') names.add(w.project);
  for (const w of s.gaps?.workflows?.items ?? []) if (typeof w.project === 'string') names.add(w.project);
  const select = $('project');
  const have = [...select.options].slice(1).map((o) => o.value);
  const sorted = [...new Set([...have, ...names])].sort();
  if (sorted.join('\n') === have.join('\n')) return;
  const chosen = select.value;
  select.replaceChildren(select.options[0], ...sorted.map((name) => {
    const option = document.createElement('option');
    option.value = name;
    option.textContent = name;
    return option;
  }));
  select.value = chosen;
}

/** Rejected lines, lag and faults in the header: red when not zero. */
function renderHealth(h) {
  const chip = (id, bad, text) => {
    $(id).textContent = text;
    $(id).className = `chip ${bad ? 'bad' : 'ok'}`;
  };
  const rejected = h?.lines_rejected;
  const lag = h?.stream ? h.stream.lag_messages : h?.lag_bytes;
  const faults = Array.isArray(h?.faults) ? h.faults.length : 0;
  chip('health-rejected', isNum(rejected) && rejected > 0, count(rejected, 'rejected line'));
  chip('health-lag', isNum(lag) && lag > 0, `lag ${isNum(lag) ? lag : '–'} ${h?.stream ? 'messages' : 'bytes'}`);
  chip('health-faults', faults > 0, count(faults, 'fault'));
}

/** Open workflows shown before "N more". */
const OPEN_SHOWN = 5;

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
  renderHealth(s.health);
  renderFaults(s.health?.faults);
  renderHookErrors(s.health?.hook_errors);
  renderProjects(s);
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
  void refreshViews(s);

  $('alerts').innerHTML =
    s.alerts.active.length === 0
      ? '<p class="muted">none firing</p>'
      : s.alerts.active.map((a) => `<div class="alert"><strong>${esc(a.alert.replaceAll('_', ' '))}</strong> <span class="muted">since ${esc(new Date(a.since).toLocaleString())}</span><br>${esc(describeAlert(a))}</div>`).join('');

  const rolling = new Map(s.agents.items.map((a) => [a.agent_name, a]));
  const slow = new Map(s.bottlenecks.slow_agents.items.map((a) => [a.agent_name, a]));
  // Busiest first, as people scan a table.
  const agentNames = Object.keys(s.stats.agents).sort((a, b) => (s.stats.agents[b]?.invocation_count ?? 0) - (s.stats.agents[a]?.invocation_count ?? 0) || (a < b ? -1 : 1));
  void refreshTrends(agentNames);
  $('agents').innerHTML = table(
    ['Agent', 'Runs', 'Success', 'Rolling', 'p50', 'p90', 'Quality', 'Trend'],
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
    [3, 4, 5, 6],
  );

  const openItems = s.open_workflows.items.filter((w) => !filters.project || w.project === filters.project);
  const openRow = (w) => [w.workflow_id, w.project ?? '–', w.running_agent ?? '–', dur(w.age_seconds)];
  const openHead = ['Workflow', 'Project', 'Running', 'Age'];
  const unlisted = filters.project ? 0 : s.open_workflows.count - s.open_workflows.items.length;
  const rest = openItems.slice(OPEN_SHOWN);
  $('open').innerHTML =
    `<p class="muted">${esc(count(filters.project ? openItems.length : s.open_workflows.count, 'open workflow'))}${filters.project ? ` in ${esc(filters.project)} (of those listed)` : ''}</p>` +
    table(openHead, openItems.slice(0, OPEN_SHOWN).map(openRow), [3], [1]) +
    (rest.length + unlisted > 0
      ? `<details><summary>${rest.length + unlisted} more</summary>${table(openHead, rest.map(openRow), [3], [1])}` +
        (unlisted > 0 ? `<p class="muted">and ${unlisted} beyond the snapshot's list: <code>oak-telemetry open</code></p>` : '') +
        '</details>'
      : '');

  $('patterns').innerHTML = table(['Pattern', 'Workflows'], s.workflows.most_common_patterns.slice(0, 6).map((p) => [p.pattern || '(no agents)', p.count]), [1]);
  const e = s.estimates.overall;
  $('estimates').innerHTML =
    e.workflows === 0
      ? '<p class="muted">no completed workflow with an estimate yet</p>'
      : `<p>${e.workflows} workflows: median ${times(e.median_ratio)}, p90 ${times(e.p90_ratio)} of the estimate; ${pct(e.over_estimate_share)} over it, ${e.overruns} over 2x</p>` +
        table(['Project', 'Workflows', 'Median', 'p90'], s.estimates.projects.slice(0, 6).map((p) => [p.project ?? '–', p.workflows, times(p.median_ratio), times(p.p90_ratio)]), [1, 2, 3], [3]) +
        (s.estimates.projects.length > 6 ? `<p class="muted">${s.estimates.projects.length - 6} more projects: oak-telemetry estimates</p>` : '');
  const b = s.bottlenecks;
  $('bottlenecks').innerHTML =
    '<h3 class="label">Slowest hand-overs (median gap)</h3>' +
    table(['From', 'To', 'Median gap', 'p90 gap'], b.slow_transitions.items.slice(0, 5).map((t) => [t.from_agent, t.to_agent, dur(t.median_seconds), dur(t.p90_seconds)]), [2, 3], [3]) +
    `<h3 class="label">Failures that ended a workflow (${b.failure_enders.unsuccessful_workflows} unsuccessful)</h3>` +
    table(['Agent', 'Workflows', 'Share'], b.failure_enders.items.slice(0, 5).map((f) => [f.agent_name, f.workflows, pct(f.share)]), [1, 2]) +
    `<h3 class="label">Workflows over ${b.over_threshold.threshold_pct}% overhead: ${b.over_threshold.count}</h3>`;
  // Stream mode (daemon --nats): where each shipping host stands.
  const stream = s.health.stream;
  $('hosts-card').hidden = stream === undefined;
  if (stream !== undefined) {
    $('hosts').innerHTML =
      `<p class="muted">stream ${esc(stream.name)} · sequence ${stream.seq} · ${stream.lag_messages} messages waiting</p>` +
      table(['Host', 'Messages', 'Last event', 'Waiting'], stream.hosts.map((h) => [h.host, h.messages, h.last_event_at === null ? '–' : new Date(h.last_event_at).toLocaleString(), h.lag_messages]), [1, 3], [2]);
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
