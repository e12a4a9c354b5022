// The agents: each router worker with its state and time in state (from
// the live figures, ticking between them), the queues it serves, and what
// a manager may change: availability (POST .../availability, as the agent
// desktop does) and queue membership (PUT .../queues; a change that would
// leave a call queue without an agent is refused with the server's words).
//
// Rows are made once per worker and updated in place, so a live update
// every second neither moves the focus nor closes an open queue editor.

import { el } from '/chat/common.js';
import { duration, STATE_TEXT } from '/manager/format.js';

export class AgentsView {
  constructor({ tbody, byState, error, call, announce, myName }) {
    Object.assign(this, { tbody, byState, error, call, announce, myName });
    this.queues = []; // [{id, name}]
    this.users = new Map(); // userId -> user
    this.rows = new Map(); // workerId -> {worker, live, at, tr, cells, editor}
  }

  setQueues(queues) { this.queues = queues; }

  setUsers(users) {
    this.users = users;
    for (const r of this.rows.values()) this.#renderRow(r);
  }

  nameOf(w) {
    const u = this.users.get(w.userId);
    return u?.displayName || u?.name || w.id;
  }

  /* The whole list of workers (GET /v1/router/workers). */
  setWorkers(workers) {
    const ids = new Set(workers.map((w) => w.id));
    for (const [id, r] of this.rows) {
      if (!ids.has(id)) { r.tr.remove(); r.editor?.remove(); this.rows.delete(id); }
    }
    for (const w of workers) this.setWorker(w);
  }

  setWorker(w) {
    let r = this.rows.get(w.id);
    if (!r) {
      r = this.#makeRow(w);
      this.rows.set(w.id, r);
      this.tbody.append(r.tr);
    }
    r.worker = w;
    this.#renderRow(r);
  }

  removeWorker(id) {
    const r = this.rows.get(id);
    if (!r) return;
    r.tr.remove();
    r.editor?.remove();
    this.rows.delete(id);
  }

  /* The live figures' agents: state and seconds in it. */
  updateLive(live) {
    const now = performance.now();
    for (const a of live.agents ?? []) {
      const r = this.rows.get(a.workerId);
      if (!r) continue;
      r.live = a;
      r.at = now;
      this.#renderRow(r);
    }
    const by = live.agentsByState ?? {};
    this.byState.replaceChildren(...['available', 'busy', 'wrapUp', 'unavailable'].map((s) =>
      el('span', { class: `count state-${s}`, dataset: { state: s } },
        el('strong', {}, String(by[s] ?? 0)), ` ${STATE_TEXT[s].toLowerCase()}`)));
  }

  tick() {
    const now = performance.now();
    for (const r of this.rows.values()) {
      if (r.live) r.cells.time.textContent = duration(r.live.sinceSeconds + (now - r.at) / 1000);
    }
  }

  #makeRow(w) {
    const r = { worker: w, live: null, at: 0, editor: null };
    r.cells = {
      name: el('th', { scope: 'row', class: 'agent-name' }),
      state: el('span', { class: 'pill' }),
      time: el('span', { class: 'in-state' }, '–'),
      queues: el('span', { class: 'queue-list' }),
      avail: el('button', { type: 'button', class: 'secondary small avail-toggle', onclick: () => this.#toggle(r) }),
      edit: el('button', {
        type: 'button', class: 'secondary small queues-edit', 'aria-expanded': 'false', onclick: () => this.#edit(r),
      }, 'Queues…'),
      error: el('p', { class: 'error row-error', role: 'alert' }),
    };
    r.tr = el('tr', { dataset: { worker: w.id } }, r.cells.name,
      el('td', {}, r.cells.state), el('td', {}, r.cells.time), el('td', {}, r.cells.queues),
      el('td', { class: 'actions' }, r.cells.avail, ' ', r.cells.edit, r.cells.error));
    return r;
  }

  #state(r) {
    if (r.live?.state) return r.live.state;
    return r.worker.available ? 'available' : 'unavailable';
  }

  #renderRow(r) {
    const w = r.worker;
    const name = this.nameOf(w);
    r.cells.name.replaceChildren(el('span', { class: 'display' }, name), el('span', { class: 'worker-id' }, w.id));
    const state = this.#state(r);
    r.tr.dataset.state = state;
    r.cells.state.className = `pill state-${state}`;
    const reason = !w.available && w.unavailableReason ? ` (${w.unavailableReason})` : '';
    r.cells.state.textContent = (STATE_TEXT[state] ?? state) + (state === 'unavailable' ? reason : '');
    if (!r.live) r.cells.time.textContent = '–';
    const qnames = new Map(this.queues.map((q) => [q.id, q.name || q.id]));
    r.cells.queues.textContent = (w.queues ?? []).map((q) => qnames.get(q) ?? q).join(', ') || 'none';
    r.cells.avail.textContent = w.available ? 'Make unavailable' : 'Make available';
    r.cells.avail.setAttribute('aria-label', `${w.available ? 'Make unavailable' : 'Make available'}: ${name}`);
    r.cells.edit.setAttribute('aria-label', `Queues of ${name}`);
  }

  async #toggle(r) {
    const w = r.worker;
    const available = !w.available;
    const body = available ? { available: true } : { available: false, reason: `Set by ${this.myName()}` };
    r.cells.avail.disabled = true;
    r.cells.error.textContent = '';
    try {
      const res = await this.call('POST', `/v1/router/workers/${encodeURIComponent(w.id)}/availability`, body);
      this.setWorker(res?.id ? res : { ...w, available, unavailableReason: body.reason });
      this.announce(`${this.nameOf(w)} is ${available ? 'available' : 'unavailable'}`);
    } catch (err) {
      // 409: already so (someone else changed it): show what is true now.
      r.cells.error.textContent = `Availability not changed: ${err.message}`;
    } finally {
      r.cells.avail.disabled = false;
    }
  }

  #close(r, focus) {
    r.editor?.remove();
    r.editor = null;
    r.cells.edit.setAttribute('aria-expanded', 'false');
    if (focus) r.cells.edit.focus();
  }

  #edit(r) {
    if (r.editor) { this.#close(r, true); return; }
    const w = r.worker;
    const name = this.nameOf(w);
    const error = el('p', { class: 'error', role: 'alert' });
    const boxes = this.queues.map((q) => el('label', { class: 'check' },
      el('input', { type: 'checkbox', name: 'queue', value: q.id, checked: (w.queues ?? []).includes(q.id) }),
      ` ${q.name || q.id}`));
    const save = el('button', { type: 'submit' }, 'Save');
    const form = el('form', { class: 'queue-editor' },
      el('fieldset', {}, el('legend', {}, `Queues ${name} serves`), ...boxes),
      save, ' ', el('button', { type: 'button', class: 'secondary', onclick: () => this.#close(r, true) }, 'Cancel'),
      error);
    form.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') { ev.preventDefault(); this.#close(r, true); } });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const queues = [...form.querySelectorAll('input[name=queue]:checked')].map((x) => x.value);
      save.disabled = true;
      error.textContent = '';
      try {
        const res = await this.call('PUT', `/v1/router/workers/${encodeURIComponent(w.id)}/queues`, { queues });
        this.setWorker(res);
        this.#close(r, true);
        this.announce(`${name} now serves ${queues.length ? queues.join(', ') : 'no queue'}`);
      } catch (err) {
        error.textContent = `Not changed: ${err.message}`;
      } finally {
        save.disabled = false;
      }
    });
    r.editor = el('tr', { class: 'editor', dataset: { editorOf: w.id } }, el('td', { colspan: '5' }, form));
    r.tr.after(r.editor);
    r.cells.edit.setAttribute('aria-expanded', 'true');
    form.querySelector('input')?.focus();
  }
}
