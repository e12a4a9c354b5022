// The consumer's chat page (/widget?widget=ID, usually in the frame that
// /widget.js adds to a site). Opens a thread, or resumes the one this
// browser has for the widget, and follows it over the chat stream.

import {
  api, ApiError, ChatStream, Conversation, TranscriptView, bindComposer, approxDuration, typingText,
} from '/chat/common.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const widgetId = params.get('widget') ?? '';
const embedded = window.parent !== window;
const storageKey = `switchboard.chat.${widgetId}`;

let conv = null;
let stream = null;
let open = !embedded; // is the page on screen (the frame open)?
let unread = 0;
let answeredSeq = 0; // the message whose quick reply was just clicked

/* ---- the thread this browser holds (localStorage, per widget) ---- */

function saved() {
  try { return JSON.parse(localStorage.getItem(storageKey) ?? 'null'); } catch { return null; }
}
function save(value) {
  try {
    if (value) localStorage.setItem(storageKey, JSON.stringify(value));
    else localStorage.removeItem(storageKey);
  } catch { /* storage blocked: the chat lasts as long as the page */ }
}

/* ---- the frame's host page (widget.js) ---- */

function tellHost(msg) {
  if (embedded) window.parent.postMessage({ source: 'switchboard-widget', ...msg }, '*');
}

window.addEventListener('message', (ev) => {
  if (ev.source !== window.parent || ev.data?.source !== 'switchboard-widget') return;
  if (ev.data.type === 'visibility') {
    open = Boolean(ev.data.open);
    if (open) {
      unread = 0;
      tellHost({ type: 'unread', count: 0 });
      conv?.markRead();
      if (!$('composer').hidden) $('text').focus();
    }
  }
});

document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && embedded) tellHost({ type: 'close' });
});
$('close').hidden = !embedded;
$('close').addEventListener('click', () => tellHost({ type: 'close' }));
document.addEventListener('visibilitychange', () => conv?.markRead());

const visible = () => open && document.visibilityState === 'visible';

/* ---- showing the thread's state ---- */

function showError(text) { $('error').textContent = text ?? ''; }

function agentNames() { return conv.staff().map((p) => p.name).filter(Boolean); }

function renderState() {
  const t = conv?.thread;
  const state = t?.state;
  if (t?.widgetTitle) {
    $('title').textContent = t.widgetTitle;
    document.title = t.widgetTitle;
  }
  const names = conv ? agentNames() : [];
  $('status').textContent = {
    bot: 'Assistant',
    waiting: 'Waiting for an agent',
    active: names.length ? `Chatting with ${names.join(' and ')}` : 'Chatting with an agent',
    messageLeft: 'Message left',
    ended: 'Chat ended',
  }[state] ?? '';
  const over = state === 'ended' || state === 'messageLeft';
  const hadFocus = $('composer').contains(document.activeElement) || $('replies').contains(document.activeElement);
  $('composer').hidden = !t || over;
  $('end').hidden = !t || over;
  $('ended').hidden = !over;
  $('ended-text').textContent = state === 'messageLeft'
    ? 'Thanks, your message has been left. We will get back to you.'
    : 'This chat has ended.';
  renderSurvey(state === 'ended');
  if (over && hadFocus) ($('survey').hidden ? $('restart') : $('survey').querySelector('input')).focus();

  // Waiting: the place in line; nobody answering: the server offers to
  // leave a message (quick replies on its notice), then takes the next text.
  const waiting = state === 'waiting';
  const prompted = waiting && t.leaveMessage === 'prompted';
  $('waiting').hidden = !waiting;
  if (waiting) {
    const pos = t.waiting?.position;
    const wait = approxDuration(t.waiting?.estimatedWaitSeconds);
    $('waiting-text').textContent = prompted ? 'Write your message below, with how we can reach you.' : [
      pos ? `You are number ${pos} in line.` : 'We are finding someone to help you.',
      wait ? `Estimated wait: ${wait}.` : '',
    ].filter(Boolean).join(' ');
  }
  $('text').placeholder = prompted ? 'Your message, and how we can reach you' : 'Type a message';
  renderReplies();
}

/* Quick replies of the latest message (the bot's, or a notice such as "leave
 * a message or keep waiting"), while nothing was said after it. */
function renderReplies() {
  const box = $('replies');
  let last = null;
  for (const m of conv?.messages.values() ?? []) if ((m.kind === 'text' || m.kind === 'system') && (!last || m.seq > last.seq)) last = m;
  const answering = conv?.state === 'bot' || conv?.state === 'waiting';
  const replies = answering && last && !last.deleted && last.seq !== answeredSeq &&
    last.sender?.kind !== 'consumer' ? last.quickReplies ?? [] : [];
  const key = `${last?.seq}:${replies.length}`;
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren(...replies.map((q) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = q.label;
    b.addEventListener('click', () => {
      answeredSeq = last.seq; // once: the buttons go at once, not when the answer is back
      conv.send(q.label);
      $('text').focus();
      renderReplies();
    });
    return b;
  }));
  box.hidden = replies.length === 0;
}

/* ---- the post-chat survey: once per thread, remembered with it ---- */

function surveyed() { return saved()?.threadId === conv?.threadId && Boolean(saved()?.surveyed); }

function renderSurvey(ended) {
  const done = surveyed();
  $('survey').hidden = !ended || done;
  $('survey-thanks').hidden = !ended || !done;
}

function renderStars() {
  const score = Number(new FormData($('survey')).get('score') ?? 0);
  $('survey').querySelectorAll('.rating label').forEach((l, i) => l.classList.toggle('on', i < score));
}
$('survey').addEventListener('change', () => {
  $('survey-error').textContent = '';
  renderStars();
});

$('survey').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  const score = Number(form.get('score'));
  $('survey-error').textContent = '';
  if (!score) {
    $('survey-error').textContent = 'Choose from 1 to 5 stars first.';
    return;
  }
  const comment = String(form.get('comment') ?? '').trim();
  const button = ev.target.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    await api('POST', `/v1/chat/threads/${conv.threadId}/survey`,
      { token: conv.token, body: comment ? { score, comment } : { score } });
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'already_answered')) {
      $('survey-error').textContent = `Your feedback was not sent: ${err.message}`;
      button.disabled = false;
      return;
    }
  }
  button.disabled = false;
  const s = saved();
  if (s?.threadId === conv.threadId) save({ ...s, surveyed: true });
  renderSurvey(true);
  $('restart').focus();
});

function renderTyping() { $('typing').textContent = typingText(conv.typingNames()); }

function renderConnection(status) {
  const banner = $('connection');
  banner.hidden = status !== 'reconnecting';
  banner.textContent = status === 'reconnecting' ? 'Connection lost. Reconnecting…' : '';
}

/* ---- opening, resuming, ending ---- */

function stopStream() {
  stream?.close();
  stream = null;
}

function reset() {
  stopStream();
  conv = null;
  $('log').replaceChildren();
  $('outbox').replaceChildren();
  $('typing').textContent = '';
  $('replies').replaceChildren();
  $('replies').hidden = true;
  delete $('replies').dataset.key;
  renderConnection('open');
}

/* Show a thread: its history over HTTP, then the stream from there on. */
async function follow(threadId, token, thread) {
  reset();
  conv = new Conversation({ threadId, token, me: 'consumer' });
  conv.isVisible = visible;
  if (thread) conv.applyThread(thread);
  $('log').setAttribute('aria-busy', 'true');
  new TranscriptView(conv, {
    log: $('log'), outbox: $('outbox'), scroller: $('scroller'),
    readerKinds: ['agent', 'expert'], showReplies: false,
  });
  conv.addEventListener('thread', renderState);
  conv.addEventListener('message', (e) => {
    const m = e.detail.message;
    if (m.sender?.participantId !== 'consumer' && !visible() && conv.live) tellHost({ type: 'unread', count: ++unread });
    conv.markRead();
    renderState();
  });
  conv.addEventListener('typing', renderTyping);
  conv.addEventListener('streamerror', (e) => showError(e.detail.error.message));
  await conv.load();
  $('log').removeAttribute('aria-busy');
  renderState();
  if (open && embedded && !$('composer').hidden) $('text').focus();
  if (conv.state === 'ended' || conv.state === 'messageLeft') return;
  const mine = conv;
  stream = new ChatStream(token, {
    onStatus: renderConnection,
    onError: (e) => showError(e.message),
    // After repeated failures: is the thread still ours? (a browser cannot
    // read why an upgrade was refused)
    check: async () => {
      try { await api('GET', `/v1/chat/threads/${threadId}`, { token }); return true; } catch (err) {
        if (err instanceof ApiError && [401, 403, 404].includes(err.status)) {
          if (conv === mine) lost();
          return false;
        }
        return true;
      }
    },
  });
  stream.watch(conv);
}

/* The thread can no longer be read with our token (removed, or expired). */
function lost() {
  save(null);
  stopStream();
  renderConnection('open');
  $('composer').hidden = true;
  $('end').hidden = true;
  $('replies').hidden = true;
  $('ended-text').textContent = 'This chat is no longer available.';
  $('ended').hidden = false;
}

async function openThread() {
  const body = { widget: widgetId };
  if (params.get('name')) body.name = params.get('name');
  const r = await api('POST', '/v1/chat/threads', { body });
  save({ threadId: r.thread.id, token: r.token });
  await follow(r.thread.id, r.token, r.thread);
}

async function start() {
  showError('');
  if (!widgetId) {
    showError('This page needs a widget: /widget?widget=ID');
    return;
  }
  const s = saved();
  try {
    if (s?.threadId && s?.token) {
      try {
        await follow(s.threadId, s.token);
        return;
      } catch (err) {
        if (!(err instanceof ApiError && [401, 403, 404].includes(err.status))) throw err;
        save(null); // the thread is gone or no longer ours: start a new one
      }
    }
    await openThread();
  } catch (err) {
    showError(err.status === 429
      ? `Too many chats opened from here. Try again in ${err.retryAfter ?? 60} seconds.`
      : `The chat could not be opened: ${err.message}`);
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.textContent = 'Try again';
    retry.addEventListener('click', () => start());
    $('error').append(' ', retry);
  }
}

bindComposer($('composer'), $('text'), () => conv, { canType: () => conv?.state === 'active' });

$('end').addEventListener('click', async () => {
  if (!conv) return;
  $('end').disabled = true;
  try {
    const r = await api('POST', `/v1/chat/threads/${conv.threadId}/end`, { token: conv.token, body: {} });
    conv.applyThread(r?.state ? r : { state: 'ended' });
  } catch (err) {
    showError(`The chat could not be ended: ${err.message}`);
  } finally {
    $('end').disabled = false;
  }
});

$('restart').addEventListener('click', async () => {
  save(null);
  $('survey').reset();
  renderStars();
  reset();
  await start();
  $('text').focus();
});

start();
