// What the pages share (the consumer's /widget, the agent desktop /agent,
// the manager's /manager; most of it is the chat's): API calls, a WebSocket that reconnects with backoff, one
// thread's state (messages by seq, read marks, typing, the outbox of
// messages being sent) and the rendering of its transcript.
//
// The contract is docs/chat.md. Messages of a thread carry seq 1, 2, 3 ...
// with no gap; a client keeps the highest seq it holds and, after a
// reconnect, subscribes with `after` = that seq, so it gets exactly what it
// missed. Anything seen twice is dropped by seq.

/* ---- HTTP ---- */

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/* One JSON request to the API; resolves with the parsed body (null for 204),
 * rejects with an ApiError carrying the server's error code. */
export async function api(method, path, { token, body } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection.');
  }
  const text = res.status === 204 ? '' : await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) {
    const e = json?.error ?? {};
    throw new ApiError(res.status, e.code ?? 'http_error', e.message ?? `${res.status} ${res.statusText}`,
      Number(res.headers.get('Retry-After')) || undefined);
  }
  return json;
}

/* A sign-in form with name and password fields: POST /v1/sessions, then
 * onSession(token) (awaited); what went wrong is shown in errorEl. */
export function bindSignIn(form, errorEl, onSession) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    errorEl.textContent = '';
    try {
      const session = await api('POST', '/v1/sessions', { body: { name: data.get('name'), password: data.get('password') } });
      form.reset();
      await onSession(session.token);
    } catch (err) {
      errorEl.textContent = err.status === 429
        ? `Too many attempts. Try again in ${err.retryAfter ?? 60} seconds.` : err.message;
    }
  });
}

/* Before a socket retries (ReconnectingSocket's check): does the session
 * still hold? Only the server saying it has ended (401) gives false, after
 * onEnded(); anything else (the network) is worth another try. */
export async function sessionHolds(token, onEnded) {
  try {
    await api('GET', '/v1/me', { token });
    return true;
  } catch (err) {
    if (err.status !== 401) return true;
    onEnded();
    return false;
  }
}

/* ---- small DOM and text helpers ---- */

/* el('li', {class: 'x', dataset: {seq: 1}, onclick: f}, 'text', child) */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k in node && typeof v !== 'string') node[k] = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

/* A time as milliseconds: the router gives numbers, the chat RFC 3339. */
export function toMs(t) {
  if (typeof t === 'number') return t;
  const ms = Date.parse(t ?? '');
  return Number.isNaN(ms) ? null : ms;
}

export function clockTime(t) {
  const ms = toMs(t);
  return ms === null ? '' : new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/* "about 3 minutes", "less than a minute" */
export function approxDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return null;
  const s = Math.max(0, Number(seconds));
  if (s < 60) return 'less than a minute';
  const m = Math.round(s / 60);
  return m === 1 ? 'about a minute' : `about ${m} minutes`;
}

/* "Alice is typing…", "Alice and Erin are typing…" */
export function typingText(names) {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are typing…`;
}

/* An id for a message being sent; crypto.randomUUID needs a secure context. */
export function clientId() {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return `c${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

export function wsUrl(path, params) {
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${proto}://${location.host}${path}?${new URLSearchParams(params)}`;
}

/* ---- a WebSocket that comes back ---- */

/*
 * Connects, and after any loss connects again after 0.5 s, 1 s, 2 s ... up
 * to 15 s (with jitter), at once when the browser comes back online. A
 * ping every 25 s that gets no answer within 10 s counts as a loss.
 *   onOpen()          connected: (re)subscribe here
 *   onMessage(obj)    each JSON message
 *   onStatus(s)       'connecting' | 'open' | 'reconnecting' | 'stopped'
 *   check()           async, before a retry after two failures in a row:
 *                     false stops retrying (e.g. the token is no longer
 *                     valid, which a browser cannot read from a refused
 *                     upgrade)
 */
export class ReconnectingSocket {
  constructor(url, { onOpen, onMessage, onStatus, check } = {}) {
    this.url = url; // a string or a function giving one
    this.onOpen = onOpen ?? (() => {});
    this.onMessage = onMessage ?? (() => {});
    this.onStatus = onStatus ?? (() => {});
    this.check = check;
    this.ws = null;
    this.failures = 0;
    this.stopped = false;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.onOnline = () => { if (!this.connected) this.reconnectNow(); };
    window.addEventListener('online', this.onOnline);
  }

  get connected() { return this.ws?.readyState === WebSocket.OPEN; }

  start() {
    this.stopped = false;
    this.#connect();
    return this;
  }

  #connect() {
    clearTimeout(this.retryTimer);
    this.onStatus(this.failures ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(typeof this.url === 'function' ? this.url() : this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.onStatus('open');
      this.#schedulePing();
      this.onOpen();
    };
    ws.onmessage = (ev) => {
      clearTimeout(this.pongTimer);
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      this.onMessage(msg);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      clearInterval(this.pingTimer);
      clearTimeout(this.pongTimer);
      this.ws = null;
      if (!this.stopped) this.#retry();
    };
  }

  /* A subscription answered: the connection works, start the backoff anew. */
  healthy() { this.failures = 0; }

  async #retry() {
    this.failures += 1;
    this.onStatus('reconnecting');
    if (this.check && this.failures >= 2) {
      let ok = true;
      try { ok = await this.check(); } catch { ok = true; }
      if (!ok) { this.stop(); return; }
      if (this.stopped) return;
    }
    const base = Math.min(15000, 500 * 2 ** Math.min(this.failures - 1, 5));
    this.retryTimer = setTimeout(() => this.#connect(), base / 2 + Math.random() * base / 2);
  }

  #schedulePing() {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (!this.send({ type: 'ping' })) return;
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => this.ws?.close(), 10000);
    }, 25000);
  }

  send(obj) {
    if (!this.connected) return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }

  reconnectNow() {
    if (this.stopped) return;
    this.failures = 0;
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.#connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    window.removeEventListener('online', this.onOnline);
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.onStatus('stopped');
  }
}

/* ---- /v1/chat/stream: one connection, any number of threads ---- */

export class ChatStream {
  constructor(token, { onStatus, onError, check } = {}) {
    this.conversations = new Map(); // threadId -> Conversation
    this.onError = onError ?? (() => {});
    this.socket = new ReconnectingSocket(() => wsUrl('/v1/chat/stream', { access_token: token }), {
      onOpen: () => { for (const c of this.conversations.values()) this.#subscribe(c); },
      onMessage: (m) => this.#dispatch(m),
      onStatus,
      check,
    });
    this.socket.start();
  }

  get connected() { return this.socket.connected; }

  /* Follow a thread (from the seq it already holds on) until unwatch(). */
  watch(conv) {
    this.conversations.set(conv.threadId, conv);
    conv.stream = this;
    this.#subscribe(conv);
  }

  unwatch(threadId) {
    const conv = this.conversations.get(threadId);
    if (!conv) return;
    this.conversations.delete(threadId);
    conv.live = false;
    this.send({ type: 'unsubscribe', threadId });
  }

  #subscribe(conv) {
    conv.live = false;
    this.send({ type: 'subscribe', threadId: conv.threadId, after: conv.lastSeq });
  }

  send(obj) { return this.socket.send(obj); }

  close() { this.socket.stop(); }

  #dispatch(m) {
    const conv = m.threadId ? this.conversations.get(m.threadId)
      : m.thread?.id ? this.conversations.get(m.thread.id) : null;
    switch (m.type) {
      case 'subscribed':
        this.socket.healthy();
        conv?.applySubscribed(m);
        break;
      case 'message': conv?.applyMessage(m.message); break;
      case 'ack': (conv ?? this.#byClientId(m.clientMessageId))?.applyAck(m); break;
      case 'typing': conv?.applyTyping(m); break;
      case 'read': conv?.applyRead(m.participantId, m.seq); break;
      case 'thread': conv?.applyThread(m.thread); break;
      case 'unsubscribed': // the server ended the subscription (we left the thread)
        if (conv) {
          this.conversations.delete(conv.threadId);
          conv.live = false;
          conv.dispatchEvent(new CustomEvent('unsubscribed', { detail: { reason: m.reason } }));
        }
        break;
      case 'error': {
        const target = conv ?? this.#byClientId(m.clientMessageId);
        if (target) target.applyError(m);
        else this.onError(m.error ?? {});
        break;
      }
      default: break; // pong, and kinds this page does not know yet
    }
  }

  #byClientId(id) {
    if (!id) return null;
    for (const c of this.conversations.values()) if (c.outbox.some((o) => o.clientMessageId === id)) return c;
    return null;
  }
}

/* ---- one thread ---- */

const STAFF_KINDS = ['agent', 'expert'];

/*
 * The state of one thread as this client knows it. Events (EventTarget):
 *   message {message}        a new message, in seq order
 *   update  {message}        an earlier message was edited or deleted
 *   thread  {thread}         state, participants, waiting or fields changed
 *   read    {}               someone's read mark moved
 *   typing  {}               who is typing changed
 *   outbox  {}               a message being sent changed
 *   caughtup {}              every message up to the subscription's lastSeq is here
 *   streamerror {error}      an error about the thread (not about a send)
 *   unsubscribed {reason}    the server stopped sending this thread (we left it)
 */
export class Conversation extends EventTarget {
  constructor({ threadId, token, me }) {
    super();
    this.threadId = threadId;
    this.token = token;
    this.me = me; // my participant id: 'consumer' or a user id
    this.thread = null;
    this.messages = new Map(); // seq -> message
    this.lastSeq = 0; // every seq up to this one is held
    this.pending = new Map(); // seq -> message that came early (a gap before it)
    this.reads = new Map(); // participantId -> readSeq
    this.typing = new Map(); // participantId -> {name, timer}
    this.outbox = []; // {clientMessageId, text, state: 'sending'|'failed', seq, error}
    this.stream = null;
    this.live = false; // subscribed and caught up
    this.target = 0; // the lastSeq the subscription announced
    this.readSent = 0;
    this.fetchingGap = false;
    this.isVisible = () => document.visibilityState === 'visible';
  }

  #emit(type, detail = {}) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  get state() { return this.thread?.state ?? null; }

  participant(id) { return this.thread?.participants?.find((p) => p.id === id) ?? null; }

  /* Current staff participants (agents and experts still in). */
  staff() { return (this.thread?.participants ?? []).filter((p) => STAFF_KINDS.includes(p.kind) && !p.leftAt); }

  /* The thread and its history so far, over HTTP (then watch it on a stream). */
  async load() {
    const { thread, ...rest } = await api('GET', `/v1/chat/threads/${encodeURIComponent(this.threadId)}`, { token: this.token });
    this.applyThread(thread ?? rest);
    await this.fetchAfter(this.lastSeq);
  }

  async fetchAfter(after) {
    for (;;) {
      const page = await api('GET', `/v1/chat/threads/${encodeURIComponent(this.threadId)}/messages?after=${after}&limit=200`,
        { token: this.token });
      const list = page?.messages ?? [];
      for (const m of list) this.applyMessage(m);
      if (!page?.hasMore || list.length === 0) break;
      after = list.at(-1).seq;
    }
  }

  applyThread(thread) {
    if (!thread) return;
    this.thread = { ...(this.thread ?? {}), ...thread };
    for (const p of this.thread.participants ?? []) {
      if (Number.isInteger(p.readSeq)) this.#setRead(p.id, p.readSeq, false);
    }
    this.#emit('thread', { thread: this.thread });
    this.#emit('read');
  }

  applySubscribed(m) {
    if (m.thread) this.applyThread(m.thread);
    this.target = m.lastSeq ?? 0;
    this.#checkCaughtUp();
  }

  applyMessage(msg) {
    if (!msg || !Number.isInteger(msg.seq) || msg.seq <= this.lastSeq || this.messages.has(msg.seq)) return;
    if (msg.seq > this.lastSeq + 1) {
      // Should not happen (the stream has no gaps); fetch what is missing.
      this.pending.set(msg.seq, msg);
      this.#fillGap();
      return;
    }
    this.#accept(msg);
    while (this.pending.has(this.lastSeq + 1)) {
      const next = this.pending.get(this.lastSeq + 1);
      this.pending.delete(next.seq);
      this.#accept(next);
    }
    this.#checkCaughtUp();
  }

  #accept(msg) {
    this.messages.set(msg.seq, msg);
    this.lastSeq = msg.seq;
    if (msg.kind === 'edit' || msg.kind === 'delete') {
      const orig = this.messages.get(msg.refSeq);
      if (orig) {
        if (msg.kind === 'edit') Object.assign(orig, { text: msg.text, edited: true });
        else Object.assign(orig, { text: '', deleted: true, quickReplies: undefined });
        this.#emit('update', { message: orig });
      }
    } else {
      this.#emit('message', { message: msg });
    }
    // A message by someone stops their typing; one of ours leaves the outbox.
    const from = msg.sender?.participantId;
    if (from && this.typing.has(from)) this.#clearTyping(from);
    const i = this.outbox.findIndex((o) => o.seq === msg.seq ||
      (msg.clientMessageId && o.clientMessageId === msg.clientMessageId));
    if (i >= 0) { this.outbox.splice(i, 1); this.#emit('outbox'); }
    if (from === this.me) this.#setRead(this.me, msg.seq, true);
  }

  async #fillGap() {
    if (this.fetchingGap) return;
    this.fetchingGap = true;
    try { await this.fetchAfter(this.lastSeq); } catch { /* the next reconnect resubscribes from lastSeq */ }
    this.fetchingGap = false;
  }

  #checkCaughtUp() {
    if (this.live || !this.stream || this.lastSeq < this.target) return;
    this.live = true;
    this.#emit('caughtup');
    // Messages that were being sent when the connection dropped: resend.
    for (const o of this.outbox) if (o.state === 'sending' && o.seq === undefined) this.#transmit(o);
    this.markRead();
  }

  applyAck(m) {
    const o = this.outbox.find((x) => x.clientMessageId === m.clientMessageId);
    if (!o) return;
    if (this.messages.has(m.seq)) this.outbox.splice(this.outbox.indexOf(o), 1);
    else o.seq = m.seq;
    this.#emit('outbox');
  }

  applyError(m) {
    const o = m.clientMessageId && this.outbox.find((x) => x.clientMessageId === m.clientMessageId);
    if (o) {
      o.state = 'failed';
      o.error = m.error?.message ?? 'not sent';
      o.code = m.error?.code;
      this.#emit('outbox');
    } else {
      this.#emit('streamerror', { error: m.error ?? {} });
    }
  }

  applyRead(participantId, seq) {
    this.#setRead(participantId, seq, true);
  }

  #setRead(id, seq, emit) {
    if (!id || !Number.isInteger(seq) || (this.reads.get(id) ?? 0) >= seq) return;
    this.reads.set(id, seq);
    if (emit) this.#emit('read');
  }

  /* The highest seq read by any participant of the given kinds (other than me). */
  readBy(kinds) {
    let best = 0;
    for (const [id, seq] of this.reads) {
      if (id === this.me) continue;
      const kind = id === 'consumer' ? 'consumer' : this.participant(id)?.kind;
      if (kinds.includes(kind)) best = Math.max(best, seq);
    }
    return best;
  }

  applyTyping(m) {
    if (!m.participantId || m.participantId === this.me) return;
    if (!m.typing) { this.#clearTyping(m.participantId); return; }
    const prev = this.typing.get(m.participantId);
    clearTimeout(prev?.timer);
    const name = m.name || this.participant(m.participantId)?.name || 'Someone';
    // A typing notice lasts 6 s unless renewed.
    const timer = setTimeout(() => this.#clearTyping(m.participantId), 7000);
    this.typing.set(m.participantId, { name, timer });
    if (!prev) this.#emit('typing');
  }

  #clearTyping(id) {
    const t = this.typing.get(id);
    if (!t) return;
    clearTimeout(t.timer);
    this.typing.delete(id);
    this.#emit('typing');
  }

  typingNames() { return [...this.typing.values()].map((t) => t.name); }

  /* ---- what this client does ---- */

  send(text) {
    const body = text.trim();
    if (!body) return;
    const o = { clientMessageId: clientId(), text: body, state: 'sending' };
    this.outbox.push(o);
    this.#emit('outbox');
    if (this.live) this.#transmit(o);
    this.setTyping(false);
  }

  retry(clientMessageId) {
    const o = this.outbox.find((x) => x.clientMessageId === clientMessageId);
    if (!o) return;
    Object.assign(o, { state: 'sending', error: undefined, seq: undefined });
    this.#emit('outbox');
    if (this.live) this.#transmit(o);
  }

  discard(clientMessageId) {
    this.outbox = this.outbox.filter((x) => x.clientMessageId !== clientMessageId);
    this.#emit('outbox');
  }

  #transmit(o) {
    this.stream?.send({ type: 'send', threadId: this.threadId, text: o.text, clientMessageId: o.clientMessageId });
  }

  /* Tell the others we have read everything, when it is on screen. */
  markRead() {
    if (!this.live || !this.isVisible() || this.lastSeq <= this.readSent) return;
    if (this.stream?.send({ type: 'read', threadId: this.threadId, seq: this.lastSeq })) {
      this.readSent = this.lastSeq;
      this.#setRead(this.me, this.lastSeq, false);
    }
  }

  /* typing true is renewed at most every 4 s; false is sent once. */
  setTyping(on) {
    const now = Date.now();
    if (on) {
      if (this.typingSentAt && now - this.typingSentAt < 4000) return;
      if (this.stream?.send({ type: 'typing', threadId: this.threadId, typing: true })) this.typingSentAt = now;
    } else if (this.typingSentAt) {
      this.typingSentAt = 0;
      this.stream?.send({ type: 'typing', threadId: this.threadId, typing: false });
    }
  }
}

/* ---- rendering ---- */

const SYSTEM_TEXT = {
  joined: (d) => `${d.name ?? 'Someone'} joined the chat`,
  left: (d) => `${d.name ?? 'Someone'} left the chat`,
  waiting: () => 'Waiting for an agent',
  handoff: () => 'Finding a person to help you',
  transferred: (d) => (d.queue ? `Transferred to ${d.queue}` : 'Transferred'),
  ended: () => 'The chat has ended',
  noAnswer: () => 'Nobody is free to answer right now',
  messageLeft: () => 'Message left',
  afterHours: () => 'We are closed right now',
};

/* The text shown for a system message: the server's, else one made from data. */
export function systemText(msg) {
  if (msg.text) return msg.text;
  const d = msg.data ?? {};
  return SYSTEM_TEXT[d.event]?.(d) ?? d.event ?? '';
}

/*
 * Renders a conversation into a list (role="log", so new messages are read
 * out) and its outbox into another. Options:
 *   readerKinds   whose read marks make our last message "Seen"
 *   showReplies   list a bot message's quick replies in its bubble
 *   nameOf(msg)   the sender's name as shown ("You" for ours)
 *   onRetry(id)   a failed message's Retry button
 */
export class TranscriptView {
  constructor(conv, { log, outbox, scroller, readerKinds, showReplies = true }) {
    this.conv = conv;
    this.log = log;
    this.outboxEl = outbox;
    this.scroller = scroller ?? log.parentElement;
    this.readerKinds = readerKinds;
    this.showReplies = showReplies;
    this.items = new Map(); // seq -> li
    this.maxSeq = 0;
    this.seen = el('p', { class: 'msg-seen' }, 'Seen');
    conv.addEventListener('message', (e) => this.#add(e.detail.message));
    conv.addEventListener('update', (e) => this.#replace(e.detail.message));
    conv.addEventListener('outbox', () => this.#renderOutbox());
    conv.addEventListener('read', () => this.#renderSeen());
    conv.addEventListener('thread', () => this.#renderSeen());
    for (const m of [...conv.messages.values()].sort((a, b) => a.seq - b.seq)) this.#add(m);
    this.#renderOutbox();
  }

  mine(msg) { return msg.sender?.participantId === this.conv.me; }

  #nearBottom() {
    const s = this.scroller;
    return !s || s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  #scroll(force) {
    if (this.scroller && (force || this.stick)) this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  render(msg) {
    const senderKind = msg.kind === 'system' ? 'system' : (msg.sender?.kind ?? 'system');
    const mine = this.mine(msg);
    const li = el('li', { class: `msg msg-${senderKind}${mine ? ' msg-mine' : ''}`, dataset: { seq: msg.seq } });
    if (msg.kind === 'system') {
      li.append(el('p', { class: 'msg-text' }, systemText(msg)));
      return li;
    }
    const name = mine ? 'You' : (msg.sender?.name || (senderKind === 'bot' ? 'Assistant' : senderKind));
    li.append(el('p', { class: 'msg-meta' },
      el('span', { class: 'msg-name' }, name), ' ',
      el('time', { datetime: msg.createdAt ?? '' }, clockTime(msg.createdAt))));
    if (msg.deleted) {
      li.append(el('p', { class: 'msg-text msg-deleted' }, 'This message was deleted'));
      return li;
    }
    li.append(el('p', { class: 'msg-text' }, msg.text ?? ''));
    if (msg.edited) li.append(el('p', { class: 'msg-note' }, 'edited'));
    if (this.showReplies && msg.quickReplies?.length) {
      li.append(el('ul', { class: 'msg-replies', 'aria-label': 'Suggested replies' },
        msg.quickReplies.map((q) => el('li', {}, q.label))));
    }
    return li;
  }

  #add(msg) {
    this.stick = this.#nearBottom();
    const li = this.render(msg);
    this.items.set(msg.seq, li);
    // Messages arrive in seq order; insert by seq all the same.
    let before = null;
    if (msg.seq < this.maxSeq) {
      for (const [seq, node] of this.items) if (seq > msg.seq && (!before || seq < Number(before.dataset.seq))) before = node;
    }
    this.maxSeq = Math.max(this.maxSeq, msg.seq);
    this.log.insertBefore(li, before);
    this.#renderSeen();
    this.#scroll(this.mine(msg));
  }

  #replace(msg) {
    const old = this.items.get(msg.seq);
    if (!old) return;
    const li = this.render(msg);
    this.items.set(msg.seq, li);
    old.replaceWith(li);
    this.#renderSeen();
  }

  #renderSeen() {
    if (!this.readerKinds) return;
    let last = null;
    for (const m of this.conv.messages.values()) {
      if (m.kind === 'text' && !m.deleted && this.mine(m) && (!last || m.seq > last.seq)) last = m;
    }
    if (last && this.conv.readBy(this.readerKinds) >= last.seq) this.items.get(last.seq)?.append(this.seen);
    else this.seen.remove();
  }

  #renderOutbox() {
    this.stick = this.#nearBottom();
    this.outboxEl.replaceChildren(...this.conv.outbox.map((o) => {
      const li = el('li', { class: `msg msg-mine msg-${o.state}` },
        el('p', { class: 'msg-text' }, o.text));
      if (o.state === 'failed') {
        li.append(el('p', { class: 'msg-note error' }, `Not sent: ${o.error}`),
          el('div', { class: 'msg-actions' },
            el('button', { type: 'button', class: 'link', onclick: () => this.conv.retry(o.clientMessageId) }, 'Retry'),
            el('button', { type: 'button', class: 'link', onclick: () => this.conv.discard(o.clientMessageId) }, 'Discard')));
      } else {
        li.append(el('p', { class: 'msg-note' }, 'Sending…'));
      }
      return li;
    }));
    this.#scroll(true);
  }
}

/*
 * A composer form: Enter sends (Shift+Enter is a new line), typing is
 * announced to the others while the text changes, and stops when the text
 * is sent or cleared or the field left alone for 5 s.
 */
export function bindComposer(form, textarea, getConv, { canType = () => true } = {}) {
  let idle = null;
  const stop = () => { clearTimeout(idle); getConv()?.setTyping(false); };
  textarea.addEventListener('input', () => {
    const conv = getConv();
    if (!conv) return;
    clearTimeout(idle);
    if (!textarea.value.trim()) { stop(); return; }
    if (canType()) conv.setTyping(true);
    idle = setTimeout(stop, 5000);
  });
  textarea.addEventListener('blur', stop);
  textarea.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const conv = getConv();
    if (!conv || !textarea.value.trim()) return;
    stop();
    conv.send(textarea.value);
    textarea.value = '';
    textarea.focus();
  });
}
