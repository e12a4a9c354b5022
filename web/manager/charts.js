// Today by quarter hour (GET /v1/reports/queues?interval=15m): volume,
// service level against the goal, and speed of answer, for all queues or
// one, drawn with uPlot (web/vendor/uplot, put there by scripts/install-deps)
// and also given as a table. Figures of several queues are added up from
// their parts (answered within the threshold over the service level's
// divisor), never averaged.

import { el } from '/chat/common.js';
import { clock, percent, seconds } from '/manager/format.js';

const COLORS = { offered: '#60a5fa', answered: '#34d399', abandoned: '#f87171', sl: '#fbbf24', goal: '#94a3b8', asa: '#c4b5fd' };
const REFRESH_AFTER_MS = 5000; // after a change in the queues, at most this late
const INK = '#cbd5e1';
const GRID = 'rgba(203, 213, 225, .15)';

let uPlotLib = null;
async function loadUPlot() {
  if (!uPlotLib) uPlotLib = (await import('/vendor/uplot/uPlot.esm.js')).default;
  return uPlotLib;
}

/* The rows of one interval added up: {offered, answered, abandoned, sl, asa}. */
export function sumRows(rows) {
  const t = { offered: 0, answered: 0, abandoned: 0, within: 0, divisor: 0, answerWait: 0 };
  for (const r of rows) {
    t.offered += r.offered ?? 0;
    t.answered += r.answered ?? 0;
    t.abandoned += r.abandoned ?? 0;
    t.within += r.answeredWithinThreshold ?? 0;
    t.divisor += (r.answered ?? 0) + (r.abandoned ?? 0) - (r.abandonedWithinThreshold ?? 0) + (r.redirects?.timeout ?? 0);
    t.answerWait += (r.avgSpeedOfAnswerSeconds ?? 0) * (r.answered ?? 0);
  }
  return {
    offered: t.offered, answered: t.answered, abandoned: t.abandoned,
    sl: t.divisor > 0 ? t.within / t.divisor : null,
    asa: t.answered > 0 ? t.answerWait / t.answered : null,
  };
}

export class ChartsView {
  constructor({ call, queueSelect, channelSelect, error, table, plots }) {
    Object.assign(this, { call, queueSelect, channelSelect, error, table, plots });
    this.charts = {};
    this.tz = null;
    this.goal = 0.8;
    this.timer = null;
    queueSelect.addEventListener('change', () => this.refresh());
    channelSelect.addEventListener('change', () => this.refresh());
    new ResizeObserver(() => this.#resize()).observe(plots.volume.parentElement);
  }

  setQueues(queues) {
    const keep = this.queueSelect.value;
    this.queueSelect.replaceChildren(el('option', { value: '' }, 'All queues'),
      ...queues.map((q) => el('option', { value: q.id }, q.name || q.id)));
    this.queueSelect.value = queues.some((q) => q.id === keep) ? keep : '';
  }

  setZone(tz, goal) {
    const changed = tz !== this.tz;
    this.tz = tz;
    this.goal = goal ?? this.goal;
    if (changed) this.refresh();
  }

  /* Something happened in a queue: refresh soon, once. */
  schedule() {
    if (!this.timer) this.timer = setTimeout(() => this.refresh(), REFRESH_AFTER_MS);
  }

  async refresh() {
    clearTimeout(this.timer);
    this.timer = null;
    const q = new URLSearchParams({ interval: '15m' });
    if (this.queueSelect.value) q.set('queueId', this.queueSelect.value);
    if (this.channelSelect.value) q.set('channel', this.channelSelect.value);
    let report;
    try {
      report = await this.call('GET', `/v1/reports/queues?${q}`);
    } catch (err) {
      this.error.textContent = `Today's figures could not be read: ${err.message}`;
      return;
    }
    this.error.textContent = '';
    this.#draw(report);
  }

  async #draw(report) {
    const from = Date.parse(report.from) / 1000;
    const to = Date.parse(report.to) / 1000;
    const byStart = new Map();
    for (const r of report.rows) {
      const k = Date.parse(r.intervalStart) / 1000;
      if (!byStart.has(k)) byStart.set(k, []);
      byStart.get(k).push(r);
    }
    const now = Date.now() / 1000;
    const x = [], offered = [], answered = [], abandoned = [], sl = [], goal = [], asa = [];
    const tableRows = [];
    for (let t = from; t < to; t += 900) {
      const past = t <= now;
      const s = sumRows(byStart.get(t) ?? []);
      x.push(t);
      offered.push(past ? s.offered : null);
      answered.push(past ? s.answered : null);
      abandoned.push(past ? s.abandoned : null);
      sl.push(s.sl === null ? null : Math.round(s.sl * 1000) / 10);
      goal.push(this.goal * 100);
      asa.push(s.asa === null ? null : Math.round(s.asa * 10) / 10);
      if (byStart.has(t)) {
        tableRows.push(el('tr', {}, el('th', { scope: 'row' }, clock(t * 1000, this.tz)),
          el('td', {}, String(s.offered)), el('td', {}, String(s.answered)), el('td', {}, String(s.abandoned)),
          el('td', {}, percent(s.sl)), el('td', {}, seconds(s.asa))));
      }
    }
    this.table.replaceChildren(...(tableRows.length ? tableRows
      : [el('tr', {}, el('td', { colspan: '6' }, 'Nothing yet today.'))]));
    let uPlot;
    try {
      uPlot = await loadUPlot();
    } catch {
      this.error.textContent = 'The chart library is missing (run scripts/install-deps); the figures are in the table below.';
      return;
    }
    const bars = uPlot.paths.bars({ size: [0.7, 40] });
    this.#plot(uPlot, 'volume', [x, offered, answered, abandoned], [
      { label: 'Offered', stroke: COLORS.offered, fill: 'rgba(96, 165, 250, .35)', paths: bars, points: { show: false } },
      { label: 'Answered', stroke: COLORS.answered, width: 2 },
      { label: 'Abandoned', stroke: COLORS.abandoned, width: 2 },
    ], { range: [0, null] });
    this.#plot(uPlot, 'sl', [x, sl, goal], [
      { label: 'Service level %', stroke: COLORS.sl, width: 2, points: { show: true, size: 6, fill: COLORS.sl } },
      { label: 'Goal %', stroke: COLORS.goal, dash: [6, 6], points: { show: false } },
    ], { range: [0, 100] });
    this.#plot(uPlot, 'asa', [x, asa], [
      { label: 'Speed of answer (s)', stroke: COLORS.asa, width: 2, points: { show: true, size: 6, fill: COLORS.asa } },
    ], { range: [0, null] });
  }

  #plot(uPlot, name, data, series, { range }) {
    const box = this.plots[name];
    const tz = this.tz;
    const opts = {
      width: Math.max(240, box.clientWidth),
      height: 200,
      tzDate: (ts) => (tz ? uPlot.tzDate(new Date(ts * 1e3), tz) : new Date(ts * 1e3)),
      scales: { x: { time: true }, y: { range: (u, min, max) => [range[0], range[1] ?? Math.max(1, max)] } },
      axes: [
        { stroke: INK, grid: { stroke: GRID }, ticks: { stroke: GRID },
          values: (u, splits) => splits.map((v) => clock(v * 1000, tz)) },
        { stroke: INK, grid: { stroke: GRID }, ticks: { stroke: GRID } },
      ],
      legend: { live: false },
      series: [{}, ...series],
    };
    this.charts[name]?.destroy();
    box.replaceChildren();
    this.charts[name] = new uPlot(opts, data, box);
  }

  #resize() {
    for (const [name, chart] of Object.entries(this.charts)) {
      chart.setSize({ width: Math.max(240, this.plots[name].clientWidth), height: 200 });
    }
  }
}
