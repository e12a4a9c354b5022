// The wallboard: a tile per queue and channel with who waits now, the
// longest wait (ticking), and today's service level coloured against the
// goal (reports.serviceLevelGoal: green at or above it, amber within
// reports.serviceLevelAmberPoints below, red further down). Colour is never
// the only sign: each tile says "On target", "Near target" or "Below target".

import { el } from '/chat/common.js';
import { duration, percent, seconds } from '/manager/format.js';

const STATUS_TEXT = {
  green: 'On target', amber: 'Near target', red: 'Below target', none: 'No answers yet',
};
const CHANNEL_TEXT = { voice: 'Voice', chat: 'Chat' };

export function slStatus(sl, goal, amberFrom) {
  if (sl === null || sl === undefined) return 'none';
  if (sl + 1e-9 >= goal) return 'green';
  if (sl + 1e-9 >= amberFrom) return 'amber';
  return 'red';
}

export class Wallboard {
  constructor(list, legend) {
    this.list = list;
    this.legend = legend;
    this.queues = []; // [{id, name}] in the router's order
    this.live = null; // the last live figures
    this.at = 0; // performance.now() when they came
  }

  setQueues(queues) {
    this.queues = queues;
    this.render();
  }

  update(live) {
    this.live = live;
    this.at = performance.now();
    this.render();
  }

  /* Every queue and channel seen today or waiting now; a configured queue
   * with neither still gets a tile. */
  #entries() {
    const rows = this.live?.queues ?? [];
    const order = new Map(this.queues.map((q, i) => [q.id, i]));
    const seen = new Set(rows.map((r) => r.queueId));
    const idle = this.queues.filter((q) => !seen.has(q.id)).map((q) => ({ queueId: q.id, channel: '', idle: true }));
    const rank = (r) => (order.has(r.queueId) ? order.get(r.queueId) : 1e6);
    return [...rows, ...idle].sort((a, b) => rank(a) - rank(b) || a.queueId.localeCompare(b.queueId) ||
      (a.channel === 'voice' ? -1 : 1) - (b.channel === 'voice' ? -1 : 1));
  }

  render() {
    const goal = this.live?.serviceLevelGoal ?? 0.8;
    const amber = this.live?.serviceLevelAmberFrom ?? 0.7;
    this.legend.textContent = `Service level goal ${percent(goal)}: green at or above, amber from ${percent(amber)}, red below.`;
    const names = new Map(this.queues.map((q) => [q.id, q.name || q.id]));
    this.list.replaceChildren(...this.#entries().map((r) => this.#tile(r, names, goal, amber)));
    this.tick();
  }

  #tile(r, names, goal, amber) {
    const today = r.today ?? {};
    const st = r.idle ? 'none' : slStatus(today.serviceLevel, goal, amber);
    const id = `tile-${r.queueId}-${r.channel || 'idle'}`.replace(/[^\w-]/g, '_');
    const name = names.get(r.queueId) ?? r.queueId;
    const head = el('h3', { id }, name, ' ',
      el('span', { class: 'channel' }, r.idle ? 'no contacts today' : CHANNEL_TEXT[r.channel] ?? r.channel));
    const li = el('li', {
      class: `tile tile-${st}`, 'aria-labelledby': id,
      dataset: { queue: r.queueId, channel: r.channel, status: st, waitingCount: r.waiting ?? 0 },
    }, head);
    li.append(
      el('p', { class: 'waiting-line' }, el('span', { class: 'waiting' }, String(r.waiting ?? 0)), ' waiting'),
      el('p', { class: 'longest-line' }, 'Longest wait ', el('span', { class: 'longest-wait', dataset: {
        base: r.longestWaitSeconds ?? 0, ticking: (r.waiting ?? 0) > 0 ? '1' : '' } }, duration(r.longestWaitSeconds ?? 0))),
      el('p', { class: 'sl-line' },
        el('span', { class: 'sl-value' }, percent(today.serviceLevel)), ' ',
        el('span', { class: 'sl-label' }, `service level${today.serviceLevelSeconds ? ` (${today.serviceLevelSeconds} s)` : ''}`)),
      el('p', { class: 'status' }, STATUS_TEXT[st]),
      el('dl', { class: 'today' },
        el('dt', {}, 'Offered'), el('dd', { class: 'offered' }, String(today.offered ?? 0)),
        el('dt', {}, 'Answered'), el('dd', { class: 'answered' }, String(today.answered ?? 0)),
        el('dt', {}, 'Abandoned'), el('dd', { class: 'abandoned' }, String(today.abandoned ?? 0)),
        el('dt', {}, 'Speed of answer'), el('dd', {}, seconds(today.avgSpeedOfAnswerSeconds)),
        el('dt', {}, 'Longest today'), el('dd', {}, duration(today.longestWaitSeconds))),
    );
    return li;
  }

  /* Once a second: waits grow while someone waits. */
  tick() {
    const since = (performance.now() - this.at) / 1000;
    for (const span of this.list.querySelectorAll('.longest-wait[data-ticking="1"]')) {
      span.textContent = duration(Number(span.dataset.base) + since);
    }
  }
}
