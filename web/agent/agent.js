// The agent desktop (/agent): sign in, go available, take chat offers from
// the router, and hold several chats at once as tabs.
//
// Offers come from the event stream (/v1/events, topic router: offerIssued
// for my worker, gone again on offerAccepted/Declined/Expired/Revoked);
// invitations from topic chat (threadInvited). Every open chat is one
// subscription on a single /v1/chat/stream connection.

import {
  api, ApiError, ChatStream, Conversation, ReconnectingSocket, TranscriptView, bindComposer, bindSignIn, sessionHolds,
  el, toMs, clockTime, typingText, wsUrl,
} from '/chat/common.js';

const $ = (id) => document.getElementById(id);

let token = sessionStorage.getItem('sb-token');
let me = null; // GET /v1/me
let worker = null; // GET /v1/me/worker; null: not a worker (an expert)
let chatStream = null;
let events = null;
let eventSeq = null; // the last event seq seen, for resuming the event stream
let topics = ['router', 'chat'];
let ready = false; // the worker is known: events are handled, not held
let held = [];
let clockSkew = 0; // this clock minus the server's, from event times
let queues = null; // [{id, name}] or null when this role may not list them
const offers = new Map(); // offerId -> {offerId, jobId, expiresAt, li, timer}
const chats = new Map(); // threadId -> chat (see openChat)
let selected = null; // the threadId shown

/* ---- API and session ---- */

async function call(method, path, body) {
  try {
    return await api(method, path, { token, body });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && token) signOut('Your session has ended. Sign in again.');
    throw err;
  }
}

/* Before a socket retries: is the session still good? */
const sessionChecked = () => sessionHolds(token, () => signOut('Your session has ended. Sign in again.'));

function announce(text) {
  const a = $('announce');
  a.textContent = '';
  setTimeout(() => { a.textContent = text; }, 50);
}

const statuses = {};
function connectionStatus(which, status) {
  statuses[which] = status;
  const lost = Object.values(statuses).includes('reconnecting');
  $('connection').hidden = !lost;
  $('connection').textContent = lost ? 'Connection lost. Reconnecting…' : '';
}

bindSignIn($('signin-form'), $('signin-error'), async (t) => {
  token = t;
  sessionStorage.setItem('sb-token', token);
  await boot();
});

$('signout').addEventListener('click', async () => {
  // Nobody should be offered work after signing out.
  if (worker?.available) {
    try { await call('POST', `/v1/router/workers/${worker.id}/availability`, { available: false, reason: 'Signed out' }); } catch { /* going anyway */ }
  }
  try { await call('DELETE', '/v1/sessions/current'); } catch { /* already gone */ }
  signOut('');
});

function signOut(message) {
  events?.stop();
  chatStream?.close();
  events = chatStream = null;
  for (const o of offers.values()) clearInterval(o.timer);
  offers.clear();
  chats.clear();
  $('offers').replaceChildren();
  $('tabs').replaceChildren();
  $('panels').replaceChildren();
  $('left').replaceChildren();
  me = worker = selected = eventSeq = null;
  ready = false;
  held = [];
  topics = ['router', 'chat'];
  token = null;
  sessionStorage.removeItem('sb-token');
  $('desk').hidden = true;
  $('who').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message;
  $('connection').hidden = true;
}

async function boot() {
  try {
    me = await api('GET', '/v1/me', { token });
  } catch {
    signOut('');
    return;
  }
  $('me-name').textContent = me.displayName ?? me.name;
  $('signin').hidden = true;
  $('who').hidden = false;
  $('desk').hidden = false;
  chatStream = new ChatStream(token, {
    onStatus: (s) => connectionStatus('chat', s),
    onError: (e) => announce(e.message ?? 'Chat error'),
    check: sessionChecked,
  });
  await followEvents();
  await loadWorker();
  ready = true;
  for (const e of held.splice(0)) onEvent(e);
  renderOffers();
  renderChats();
  await loadQueues();
  await Promise.all([openMine(), loadLeft()]);
}

/* ---- availability ---- */

async function loadWorker() {
  try {
    const r = await call('GET', '/v1/me/worker');
    worker = r?.worker ?? r;
  } catch (err) {
    worker = null;
    if (err.status !== 404) $('avail-error').textContent = `Your worker could not be read: ${err.message}`;
  }
  $('availability').hidden = !worker;
  renderAvailability();
  for (const o of worker?.offers ?? []) addOffer(o);
}

function renderAvailability() {
  if (!worker) return;
  const on = Boolean(worker.available);
  $('avail-status').textContent = on ? 'Available'
    : `Unavailable${worker.unavailableReason ? ` (${worker.unavailableReason})` : ''}`;
  $('avail-status').className = `avail ${on ? 'on' : 'off'}`;
  $('avail-toggle').textContent = on ? 'Set unavailable' : 'Set available';
  $('avail-reason-label').hidden = !on;
}

$('avail-toggle').addEventListener('click', async () => {
  if (!worker) return;
  const available = !worker.available;
  const body = available ? { available: true } : { available: false, reason: $('avail-reason').value };
  $('avail-toggle').disabled = true;
  $('avail-error').textContent = '';
  try {
    const r = await call('POST', `/v1/router/workers/${encodeURIComponent(worker.id)}/availability`, body);
    const w = r?.worker ?? r;
    worker = w?.id ? { ...worker, ...w } : { ...worker, available, unavailableReason: body.reason };
    renderAvailability();
    announce(available ? 'You are available' : 'You are unavailable');
  } catch (err) {
    $('avail-error').textContent = err.message;
  } finally {
    $('avail-toggle').disabled = false;
  }
});

/* ---- the event stream ---- */

function followEvents() {
  return new Promise((resolve) => {
    const started = setTimeout(resolve, 5000); // go on without it; it reconnects
    events = new ReconnectingSocket(() => {
      const q = { access_token: token, topics: topics.join(',') };
      if (eventSeq !== null) q.after = eventSeq;
      return wsUrl('/v1/events', q);
    }, {
      onStatus: (s) => connectionStatus('events', s),
      check: sessionChecked,
      onMessage: (m) => {
        if (m.type === 'subscribed') {
          events.healthy();
          if (eventSeq === null) eventSeq = m.lastSeq ?? 0;
          clearTimeout(started);
          resolve();
        } else if (m.type === 'event') {
          eventSeq = Math.max(eventSeq ?? 0, m.event.seq);
          const t = toMs(m.event.time);
          if (t) clockSkew = Date.now() - t;
          if (ready) onEvent(m.event);
          else held.push(m.event);
        } else if (m.type === 'error') {
          const code = m.error?.code;
          if ((code === 'unknown_topic' || code === 'forbidden') && topics.includes('chat')) {
            // A server without the chat topic: offers still come.
            topics = ['router'];
            events.send({ type: 'subscribe', topics, ...(eventSeq !== null ? { after: eventSeq } : {}) });
          } else if (code === 'token_expired' || code === 'token_revoked') {
            signOut('Your session has ended. Sign in again.');
          }
        }
      },
    });
    events.start();
  });
}

function onEvent(e) {
  const d = e.data ?? {};
  if (e.topic === 'router') {
    if (!worker || d.workerId !== worker.id) return;
    switch (e.type) {
      case 'offerIssued':
        addOffer(d);
        break;
      case 'offerAccepted': removeOffer(d.offerId); break;
      case 'offerDeclined': removeOffer(d.offerId); break;
      case 'offerExpired': removeOffer(d.offerId, 'The offer expired.'); break;
      case 'offerRevoked': removeOffer(d.offerId, 'The offer was withdrawn.'); break;
      case 'jobAssigned': openJob(d.jobId); break;
      case 'workerUpdated':
        if (typeof d.available === 'boolean') {
          worker.available = d.available;
          worker.unavailableReason = d.available ? undefined : d.reason;
          renderAvailability();
          if (!d.available && d.reason) announce(`You were made unavailable: ${d.reason}`);
        } else {
          loadWorker();
        }
        break;
      default: break;
    }
  } else if (e.topic === 'chat') {
    if (e.type === 'threadInvited' && d.userId === me.id) {
      announce('You were invited to a chat');
      openChat(d.threadId ?? e.subject, { select: chats.size === 0 });
    } else if (d.state === 'messageLeft' || e.type === 'threadMessageLeft') {
      loadLeft();
    }
  }
}

/* ---- offers ---- */

function labelsList(labels) {
  const entries = Object.entries(labels ?? {}).filter(([k, v]) => k !== 'threadId' && v !== '' && v !== null);
  if (!entries.length) return null;
  return el('dl', {}, entries.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))]));
}

function addOffer(o) {
  if (!o?.offerId || offers.has(o.offerId)) return;
  const expiresAt = toMs(o.expiresAt);
  const entry = { offerId: o.offerId, jobId: o.jobId, expiresAt, job: null };
  const title = el('p', {}, el('strong', {}, 'Chat offer'), o.queueId ? ` · ${o.queueId}` : '');
  const details = el('div', { class: 'offer-details' });
  const countdown = el('p', { class: 'countdown' });
  const accept = el('button', { type: 'button', class: 'accept', onclick: () => answerOffer(entry, 'accept') }, 'Accept');
  const decline = el('button', { type: 'button', class: 'secondary decline', onclick: () => answerOffer(entry, 'decline') }, 'Decline');
  const error = el('p', { class: 'error', role: 'alert' });
  entry.li = el('li', { class: 'offer', dataset: { offerId: o.offerId } }, title, details, countdown,
    el('div', { class: 'row' }, accept, decline), error);
  entry.buttons = [accept, decline];
  entry.error = error;
  const tick = () => {
    if (!expiresAt) { countdown.textContent = ''; return; }
    const left = Math.ceil((expiresAt + clockSkew - Date.now()) / 1000);
    // The server says when it expired (offerExpired); this is a fallback.
    if (left < -3) { removeOffer(entry.offerId); return; }
    countdown.textContent = left > 0 ? `Expires in ${left} s` : 'Expiring…';
  };
  tick();
  entry.timer = setInterval(tick, 1000);
  offers.set(o.offerId, entry);
  renderOffers();
  announce(`New chat offer${o.queueId ? ` from ${o.queueId}` : ''}`);
  // What the job is about: its queue and labels (the bot's topic, language, ...).
  call('GET', `/v1/router/jobs/${encodeURIComponent(o.jobId)}`).then((job) => {
    entry.job = job?.job ?? job;
    const j = entry.job;
    if (j?.queueId && !o.queueId) title.append(` · ${j.queueId}`);
    const dl = labelsList(j?.labels);
    if (dl) details.replaceChildren(dl);
  }).catch(() => { /* the offer may already be gone */ });
}

function removeOffer(offerId, why) {
  const entry = offers.get(offerId);
  if (!entry) return;
  clearInterval(entry.timer);
  entry.li.remove();
  offers.delete(offerId);
  renderOffers();
  if (why) announce(why);
}

function renderOffers() {
  const list = $('offers');
  for (const o of offers.values()) if (o.li.parentNode !== list) list.append(o.li);
  $('no-offers').hidden = offers.size > 0;
}

async function answerOffer(entry, answer) {
  entry.buttons.forEach((b) => { b.disabled = true; });
  entry.error.textContent = '';
  try {
    await call('POST', `/v1/router/workers/${encodeURIComponent(worker.id)}/offers/${encodeURIComponent(entry.offerId)}/${answer}`, {});
    removeOffer(entry.offerId);
    if (answer === 'accept') await openJob(entry.jobId, { select: true, job: entry.job });
  } catch (err) {
    if (err.status === 409 || err.status === 404) {
      removeOffer(entry.offerId, err.code === 'offer_expired' ? 'The offer expired.' : 'The offer is no longer open.');
    } else {
      entry.error.textContent = err.message;
      entry.buttons.forEach((b) => { b.disabled = false; });
    }
  }
}

/* The chat of a router job (its labels.threadId). */
async function openJob(jobId, { select = false, job = null } = {}) {
  try {
    const j = job?.labels?.threadId ? job : await call('GET', `/v1/router/jobs/${encodeURIComponent(jobId)}`);
    const threadId = (j?.job ?? j)?.labels?.threadId;
    if (threadId) await openChat(threadId, { select });
  } catch (err) {
    announce(`The chat could not be opened: ${err.message}`);
  }
}

/* ---- chats as tabs ---- */

/* The chats I am in (after a reload), and the ones ended while shown stay until closed. */
async function openMine() {
  try {
    const r = await call('GET', '/v1/chat/threads?mine=true&limit=50');
    for (const t of (r?.items ?? [])) {
      if (t.state === 'active' || t.state === 'waiting') openChat(t.id, { select: !selected, thread: t });
    }
  } catch { /* nothing to resume */ }
}

async function openChat(threadId, { select = false, readOnly = false, thread = null } = {}) {
  if (!threadId) return null;
  let c = chats.get(threadId);
  if (c && (c.gone || (c.readOnly && !readOnly))) closeChat(threadId); // back in it: start afresh
  else if (c) {
    if (select) selectChat(threadId);
    return c;
  }
  const panel = $('chat-panel').content.firstElementChild.cloneNode(true);
  const q = (sel) => panel.querySelector(sel);
  const conv = new Conversation({ threadId, token, me: me.id });
  conv.isVisible = () => selected === threadId && document.visibilityState === 'visible';
  const tab = el('button', {
    type: 'button', role: 'tab', class: 'tab', id: `tab-${threadId}`, 'aria-controls': `panel-${threadId}`,
    'aria-selected': 'false', tabindex: '-1', onclick: () => selectChat(threadId),
  }, el('span', { class: 'tab-name' }, 'Chat'), el('span', { class: 'unread', 'aria-label': 'unread messages' }));
  panel.id = `panel-${threadId}`;
  panel.setAttribute('aria-labelledby', tab.id);
  panel.hidden = true;
  c = { threadId, conv, tab, panel, q, unread: 0, readOnly, gone: null };
  chats.set(threadId, c);
  $('tabs').append(tab);
  $('panels').append(panel);

  new TranscriptView(conv, { log: q('.log'), outbox: q('.outbox'), scroller: q('.scroller'), readerKinds: ['consumer'] });
  conv.addEventListener('thread', () => renderChat(c));
  conv.addEventListener('typing', () => { q('.typing').textContent = typingText(conv.typingNames()); });
  conv.addEventListener('streamerror', (e) => { q('.panel-error').textContent = e.detail.error.message ?? 'error'; });
  conv.addEventListener('unsubscribed', () => {
    c.gone ??= 'left';
    renderChat(c);
  });
  conv.addEventListener('message', (e) => {
    const m = e.detail.message;
    if (m.sender?.participantId === me.id || !conv.live) return;
    if (!conv.isVisible()) {
      c.unread += 1;
      renderTab(c);
      if (m.kind !== 'system') announce(`New message from ${m.sender?.name ?? 'the visitor'}`);
    }
    conv.markRead();
  });
  bindComposer(q('.composer'), q('textarea'), () => conv, { canType: () => conv.state === 'active' });
  bindActions(c);
  if (thread) conv.applyThread(thread);
  renderChats();
  if (select || !selected) selectChat(threadId);
  try {
    q('.log').setAttribute('aria-busy', 'true');
    await conv.load();
  } catch (err) {
    q('.panel-error').textContent = err.status === 403
      ? 'You may not read this chat.' : `The chat could not be loaded: ${err.message}`;
    c.gone = 'unreadable';
  } finally {
    q('.log').removeAttribute('aria-busy');
  }
  if (!readOnly && !c.gone && conv.state !== 'ended' && chats.get(threadId) === c) chatStream.watch(conv);
  renderChat(c);
  return c;
}

function consumerName(thread) {
  return thread?.consumerName || thread?.participants?.find((p) => p.kind === 'consumer')?.name || 'Visitor';
}

const STATE_TEXT = {
  bot: 'With the bot', waiting: 'Waiting', active: 'Active', messageLeft: 'Message left', ended: 'Ended',
};

function renderChat(c) {
  const { conv, q } = c;
  const t = conv.thread ?? {};
  const mine = conv.participant(me.id);
  const inThread = Boolean(mine && !mine.leftAt) && !c.gone;
  const isAgent = inThread && mine.kind === 'agent';
  const active = t.state === 'active';
  q('.panel-title').textContent = consumerName(conv.thread);
  q('.panel-state').textContent = c.gone === 'transferred' ? 'Transferred'
    : c.gone === 'left' ? 'You left this chat'
      : STATE_TEXT[t.state] ?? t.state ?? '';
  const composer = q('.composer');
  const canWrite = inThread && !c.readOnly && active;
  composer.querySelectorAll('textarea, button').forEach((x) => { x.disabled = !canWrite; });
  q('.end-form').hidden = !(isAgent && active);
  q('.transfer-form').hidden = !(isAgent && active);
  q('.invite-form').hidden = !(isAgent && active);
  q('.leave').hidden = !(inThread && mine.kind === 'expert' && t.state !== 'ended');
  q('.close-tab').hidden = inThread && t.state !== 'ended' && t.state !== 'messageLeft';

  // The bot's collected fields, and where the chat came from.
  const rows = [
    ...Object.entries(t.fields ?? {}),
    ['queue', t.queue],
    ['widget', t.widget],
    ['started', t.createdAt ? clockTime(t.createdAt) : null],
    ['agents', conv.staff().map((p) => p.name).join(', ') || null],
  ].filter(([, v]) => v !== undefined && v !== null && v !== '');
  q('.fields').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))]));
  renderTab(c);
}

function renderTab(c) {
  const ended = c.gone || ['ended', 'messageLeft'].includes(c.conv.state);
  c.tab.classList.toggle('ended', Boolean(ended));
  c.tab.querySelector('.tab-name').textContent = consumerName(c.conv.thread) + (ended ? ' (closed)' : '');
  c.tab.querySelector('.unread').textContent = c.unread ? String(c.unread) : '';
}

function renderChats() {
  $('no-chats').hidden = chats.size > 0;
  $('panels').hidden = chats.size === 0;
}

function selectChat(threadId) {
  selected = threadId;
  for (const c of chats.values()) {
    const on = c.threadId === threadId;
    c.tab.setAttribute('aria-selected', String(on));
    c.tab.tabIndex = on ? 0 : -1;
    c.panel.hidden = !on;
    if (on) {
      c.unread = 0;
      renderTab(c);
      c.conv.markRead();
    }
  }
}

function closeChat(threadId) {
  const c = chats.get(threadId);
  if (!c) return;
  chatStream?.unwatch(threadId);
  c.tab.remove();
  c.panel.remove();
  chats.delete(threadId);
  if (selected === threadId) {
    selected = null;
    const next = chats.keys().next().value;
    if (next) { selectChat(next); chats.get(next).tab.focus(); }
  }
  renderChats();
}

// Tabs by keyboard: arrows, Home and End move between them.
$('tabs').addEventListener('keydown', (ev) => {
  const tabs = [...$('tabs').querySelectorAll('[role=tab]')];
  const i = tabs.indexOf(document.activeElement);
  if (i < 0) return;
  const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
  if (to === undefined) return;
  ev.preventDefault();
  const tab = tabs[(to + tabs.length) % tabs.length];
  tab.focus();
  tab.click();
});
document.addEventListener('visibilitychange', () => chats.get(selected)?.conv.markRead());

/* ---- what an agent does in a chat ---- */

function bindActions(c) {
  const { q, threadId, conv } = c;
  const path = `/v1/chat/threads/${encodeURIComponent(threadId)}`;
  const fail = (what) => (err) => { q('.panel-error').textContent = `${what}: ${err.message}`; };
  const busy = async (form, fn) => {
    const buttons = form.querySelectorAll('button');
    buttons.forEach((b) => { b.disabled = true; });
    q('.panel-error').textContent = '';
    try { await fn(); } finally { buttons.forEach((b) => { b.disabled = false; }); }
  };

  q('.end-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(ev.target, async () => {
      const r = await call('POST', `${path}/end`, { disposition: 'resolved' });
      conv.applyThread(r?.state ? r : { state: 'ended' });
      announce('Chat ended');
    }).catch(fail('The chat could not be ended'));
  });

  // Transfer: the queues when this role may list them, else a queue id typed in.
  const slot = q('.transfer-slot');
  if (queues) {
    slot.replaceWith(el('select', { name: 'queue', required: true },
      queues.map((x) => el('option', { value: x.id }, x.name ? `${x.name} (${x.id})` : x.id))));
  } else {
    slot.replaceWith(el('input', { name: 'queue', required: true, autocomplete: 'off', placeholder: 'support' }));
  }
  q('.transfer-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const queue = new FormData(ev.target).get('queue')?.toString().trim();
    if (!queue) return;
    busy(ev.target, async () => {
      await call('POST', `${path}/transfer`, { queue });
      // The agent leaves a transferred chat: stop following it.
      chatStream.unwatch(threadId);
      c.gone = 'transferred';
      renderChat(c);
      announce(`Chat transferred to ${queue}`);
    }).catch(fail('The chat could not be transferred'));
  });

  q('.invite-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const who = new FormData(ev.target).get('user')?.toString().trim();
    if (!who) return;
    busy(ev.target, async () => {
      // An id as is; anything else is a login name the server looks up.
      await call('POST', `${path}/participants`, /^usr_/.test(who) ? { userId: who } : { name: who });
      ev.target.reset();
      announce(`${who} was invited`);
    }).catch(fail('The expert could not be invited'));
  });

  q('.leave').addEventListener('click', () => {
    call('POST', `${path}/leave`, {}).then(() => {
      chatStream.unwatch(threadId);
      c.gone = 'left';
      renderChat(c);
    }).catch(fail('Could not leave the chat'));
  });

  q('.close-tab').addEventListener('click', () => closeChat(threadId));
}

async function loadQueues() {
  try {
    const r = await call('GET', '/v1/router/queues');
    queues = (r?.items ?? []).map((x) => ({ id: x.id, name: x.name }));
  } catch {
    queues = null; // 403 for agents: a text input instead
  }
}

/* ---- left messages ---- */

async function loadLeft() {
  $('left-error').textContent = '';
  try {
    const r = await call('GET', '/v1/chat/threads?state=messageLeft&limit=50');
    const items = (r?.items ?? []);
    $('left').replaceChildren(...items.map((t) => el('li', {},
      el('p', {}, el('strong', {}, consumerName(t)),
        ' ', el('span', { class: 'muted' }, clockTime(t.updatedAt ?? t.createdAt))),
      t.fields && Object.keys(t.fields).length ? el('p', { class: 'muted' },
        Object.entries(t.fields).map(([k, v]) => `${k}: ${v}`).join(', ')) : null,
      el('div', { class: 'row' }, el('button', {
        type: 'button', class: 'secondary small', onclick: () => openChat(t.id, { select: true, readOnly: true }),
      }, 'Read')))));
    $('no-left').hidden = items.length > 0;
  } catch (err) {
    $('left').replaceChildren();
    $('no-left').hidden = true;
    $('left-error').textContent = `Left messages could not be read: ${err.message}`;
  }
}
$('left-refresh').addEventListener('click', loadLeft);

if (token) boot();
