// The shift manager's dashboard (/manager): a wallboard of queue tiles, the
// agents with their state, today's charts, satisfaction and the reports as
// CSV. For managers and admins; an agent who signs in is told to use /agent.
//
// Live figures come from the event stream (/v1/events, topic reports:
// liveUpdated at most once a second, not replayed; so the page reads GET
// /v1/reports/live at every (re)connection, then follows the stream), and
// router events say when a worker changed or a queue moved (the charts are
// then read again). docs/reporting.md.

import { api, ApiError, ReconnectingSocket, bindSignIn, sessionHolds, wsUrl } from '/chat/common.js';
import { longTime } from '/manager/format.js';
import { Wallboard } from '/manager/wallboard.js';
import { AgentsView } from '/manager/agents.js';
import { ChartsView } from '/manager/charts.js';
import { SatisfactionView, bindDownloads } from '/manager/reports.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'sb-manager-token';
const LEADS = ['admin', 'manager'];
const JOB_EVENTS = ['jobQueued', 'jobAssigned', 'jobCancelled', 'jobClosed', 'jobCompleted'];
const WORKER_EVENTS = ['workerUpdated', 'workerRegistered'];

let token = sessionStorage.getItem(TOKEN_KEY);
let me = null;
let events = null;
let tz = null; // the organisation's time zone, from the live figures
let queues = []; // the router's queues [{id, name}]
let liveFetch = null; // a GET /v1/reports/live under way
let lastAgentsFetch = 0;

/* ---- session ---- */

async function call(method, path, body) {
  try {
    return await api(method, path, { token, body });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && token) signOut('Your session has ended. Sign in again.');
    throw err;
  }
}

function announce(text) {
  const a = $('announce');
  a.textContent = '';
  setTimeout(() => { a.textContent = text; }, 50);
}

const wallboard = new Wallboard($('tiles'), $('legend'));
const agents = new AgentsView({
  tbody: $('agents'), byState: $('by-state'), error: $('agents-error'), call, announce,
  myName: () => me?.displayName || me?.name || 'a manager',
});
const charts = new ChartsView({
  call, queueSelect: $('chart-queue'), channelSelect: $('chart-channel'), error: $('charts-error'),
  table: $('chart-rows'), plots: { volume: $('chart-volume'), sl: $('chart-sl'), asa: $('chart-asa') },
});
const satisfaction = new SatisfactionView({
  box: $('sat'), error: $('sat-error'), call,
  queueName: (id) => queues.find((q) => q.id === id)?.name || id,
});
bindDownloads({ form: $('dl-form'), status: $('dl-status'), error: $('dl-error'), token: () => token, tz: () => tz });

bindSignIn($('signin-form'), $('signin-error'), async (t) => {
  token = t;
  await boot(true);
});

$('signout').addEventListener('click', async () => {
  try { await call('DELETE', '/v1/sessions/current'); } catch { /* already gone */ }
  signOut('');
});

function signOut(message) {
  events?.stop();
  events = null;
  me = null;
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('board').hidden = true;
  $('who').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message;
  $('connection').hidden = true;
}

/* Managers and admins only: anyone else's session is closed again. */
async function boot(fresh) {
  try {
    me = await api('GET', '/v1/me', { token });
  } catch {
    signOut(fresh ? 'The sign-in did not hold. Try again.' : '');
    return;
  }
  if (!LEADS.includes(me.role)) {
    const who = me.displayName || me.name;
    try { await api('DELETE', '/v1/sessions/current', { token }); } catch { /* going anyway */ }
    signOut(`${who} is ${me.role === 'expert' ? 'an expert' : `an ${me.role}`}: this dashboard is for shift managers and admins, so you were signed out again. Agents work in the agent desktop at /agent.`);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $('me-name').textContent = me.displayName ?? me.name;
  $('signin').hidden = true;
  $('who').hidden = false;
  $('board').hidden = false;
  await loadQueues();
  await Promise.all([loadUsers(), loadWorkers(), loadLive()]);
  follow(); // its subscription reads the charts
  satisfaction.refresh();
}

/* ---- what is configured ---- */

async function loadQueues() {
  try {
    const r = await call('GET', '/v1/router/queues');
    queues = (r?.items ?? []).map((q) => ({ id: q.id, name: q.name }));
  } catch (err) {
    queues = [];
    $('agents-error').textContent = `The queues could not be read: ${err.message}`;
  }
  wallboard.setQueues(queues);
  agents.setQueues(queues);
  charts.setQueues(queues);
}

async function loadUsers() {
  const users = new Map();
  let cursor = '';
  try {
    do {
      const r = await call('GET', `/v1/users?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      for (const u of r?.items ?? []) users.set(u.id, u);
      cursor = r?.nextCursor;
    } while (cursor);
  } catch { /* names fall back to worker ids */ }
  agents.setUsers(users);
}

async function loadWorkers() {
  try {
    const r = await call('GET', '/v1/router/workers');
    agents.setWorkers(r?.items ?? []);
    $('agents-error').textContent = '';
  } catch (err) {
    $('agents-error').textContent = `The agents could not be read: ${err.message}`;
  }
}

async function loadWorker(id) {
  try {
    agents.setWorker(await call('GET', `/v1/router/workers/${encodeURIComponent(id)}`));
  } catch (err) {
    if (err.status === 404) agents.removeWorker(id);
  }
}

/* ---- live figures ---- */

function applyLive(live) {
  if (live.timezone && live.timezone !== tz) tz = live.timezone;
  charts.setZone(tz, live.serviceLevelGoal);
  wallboard.update(live);
  if (live.agents) {
    agents.updateLive(live);
  } else if (Date.now() - lastAgentsFetch > 5000) {
    // Over 100 agents the stream leaves them out: read them now and then.
    lastAgentsFetch = Date.now();
    loadLive();
  } else {
    agents.updateLive({ agentsByState: live.agentsByState });
  }
}

function loadLive() {
  liveFetch ??= call('GET', '/v1/reports/live').then(applyLive).catch((err) => {
    $('agents-error').textContent = `Live figures could not be read: ${err.message}`;
  }).finally(() => { liveFetch = null; });
  return liveFetch;
}

function connection(status) {
  const lost = status === 'reconnecting';
  $('connection').hidden = !lost;
  $('connection').textContent = lost ? 'Connection lost. Reconnecting… (the figures shown may be old)' : '';
}

const sessionChecked = () => sessionHolds(token, () => signOut('Your session has ended. Sign in again.'));

function follow() {
  events = new ReconnectingSocket(() => wsUrl('/v1/events', { access_token: token, topics: 'reports,router' }), {
    onStatus: connection,
    check: sessionChecked,
    onMessage: (m) => {
      if (m.type === 'subscribed') {
        events.healthy();
        // Whatever changed while we were away: read it all once.
        loadLive();
        loadWorkers();
        charts.refresh();
      } else if (m.type === 'event') {
        onEvent(m.event);
      } else if (m.type === 'error' && ['token_expired', 'token_revoked'].includes(m.error?.code)) {
        signOut('Your session has ended. Sign in again.');
      }
    },
  });
  events.start();
}

function onEvent(e) {
  const d = e.data ?? {};
  if (e.topic === 'reports') {
    if (e.type === 'liveUpdated') applyLive(d);
    else if (e.type === 'surveyAnswered') satisfaction.refresh();
  } else if (e.topic === 'router') {
    if (WORKER_EVENTS.includes(e.type) && d.workerId) loadWorker(d.workerId);
    else if (e.type === 'workerDeregistered' && d.workerId) loadWorker(d.workerId);
    if (JOB_EVENTS.includes(e.type)) charts.schedule();
  }
}

/* ---- once a second ---- */

setInterval(() => {
  $('clock').textContent = longTime(Date.now(), tz);
  wallboard.tick();
  agents.tick();
}, 1000);
$('clock').textContent = longTime(Date.now(), tz);

if (token) boot(false);
