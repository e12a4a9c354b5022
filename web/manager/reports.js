// Today's satisfaction (GET /v1/reports/satisfaction: post-chat and
// post-call surveys) and the CSV downloads of every report. A download is
// fetched with the session's token (a plain link could not send it) and
// handed to the browser as a file.

import { ApiError, el } from '/chat/common.js';
import { localDate } from '/manager/format.js';

const CHANNEL_TEXT = { voice: 'calls', chat: 'chats' };

export class SatisfactionView {
  constructor({ box, error, call, queueName }) {
    Object.assign(this, { box, error, call, queueName });
  }

  async refresh() {
    let report;
    try {
      report = await this.call('GET', '/v1/reports/satisfaction');
    } catch (err) {
      this.error.textContent = `Satisfaction could not be read: ${err.message}`;
      return;
    }
    this.error.textContent = '';
    const rows = report.rows ?? [];
    const total = rows.reduce((n, r) => n + (r.responses ?? 0), 0);
    if (!total) {
      this.box.replaceChildren(el('p', { class: 'muted' }, 'No survey answers yet today.'));
      return;
    }
    const sum = rows.reduce((n, r) => n + (r.avgScore ?? 0) * (r.responses ?? 0), 0);
    const scores = [5, 4, 3, 2, 1].map((s) => [s, rows.reduce((n, r) => n + (r.scores?.[s] ?? 0), 0)]);
    const avg = sum / total;
    this.box.replaceChildren(
      el('p', { class: 'sat-score' }, el('strong', { class: 'sat-avg' }, avg.toFixed(1)),
        el('span', { class: 'stars', 'aria-hidden': 'true' }, '★'.repeat(Math.round(avg)) + '☆'.repeat(5 - Math.round(avg))),
        ` of 5 from `, el('span', { class: 'sat-responses' }, String(total)), total === 1 ? ' answer' : ' answers'),
      el('ul', { class: 'sat-bars', 'aria-label': 'Answers by score' }, scores.map(([s, n]) => el('li', {},
        el('span', { class: 'sat-label' }, `${s} ★`),
        el('span', { class: 'sat-bar' }, el('span', { style: `width: ${Math.round((n / total) * 100)}%` })),
        el('span', { class: 'sat-count' }, String(n))))),
      el('ul', { class: 'sat-queues' }, rows.filter((r) => r.responses).map((r) => el('li', {},
        `${r.queueId ? this.queueName(r.queueId) : 'No queue'} (${CHANNEL_TEXT[r.channel] ?? r.channel}): `,
        el('strong', {}, (r.avgScore ?? 0).toFixed(1)), ` from ${r.responses}`))),
    );
  }
}

/* The download form: from, to, interval, and a button per report. */
export function bindDownloads({ form, status, error, token, tz }) {
  const fromInput = form.elements.from;
  const today = () => localDate(Date.now(), tz());
  fromInput.value = today();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const report = ev.submitter?.value ?? 'queues';
    const data = new FormData(form);
    const q = new URLSearchParams({ from: data.get('from') || today(), interval: data.get('interval'), format: 'csv' });
    if (data.get('to')) q.set('to', data.get('to'));
    error.textContent = '';
    status.textContent = `Preparing ${report}…`;
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    try {
      const res = await fetch(`/v1/reports/${report}?${q}`, { headers: { Authorization: `Bearer ${token()}` } });
      if (!res.ok) {
        let msg = `${res.status} ${res.statusText}`;
        try { msg = (await res.json()).error?.message ?? msg; } catch { /* not JSON */ }
        throw new ApiError(res.status, 'http_error', msg);
      }
      const blob = await res.blob();
      const name = `${report}-${q.get('from')}${q.get('to') ? `-to-${q.get('to')}` : ''}-${q.get('interval')}.csv`;
      const url = URL.createObjectURL(blob);
      const a = el('a', { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      status.textContent = `Downloaded ${name}`;
    } catch (err) {
      status.textContent = '';
      error.textContent = `The ${report} report could not be downloaded: ${err.message}`;
    } finally {
      for (const b of form.querySelectorAll('button')) b.disabled = false;
    }
  });
}
