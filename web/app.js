// Start page: sign in with a name and password, show who you are, and
// follow the event stream. Talks to the same /v1 API as every client.

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('sb-token');
let socket = null;

async function api(method, path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const json = res.status === 204 ? null : await res.json();
  if (!res.ok) throw Object.assign(new Error(json?.error?.message ?? res.statusText), { status: res.status });
  return json;
}

function followEvents() {
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new WebSocket(`${proto}://${location.host}/v1/events?access_token=${encodeURIComponent(token)}&topics=users`);
  socket.onmessage = (msg) => {
    const data = JSON.parse(msg.data);
    if (data.type !== 'event') return;
    const li = document.createElement('li');
    const e = data.event;
    li.textContent = `#${e.seq} ${e.time} ${e.type} ${e.data?.name ?? e.subject ?? ''}`;
    $('events').prepend(li);
  };
}

async function showAccount() {
  try {
    const me = await api('GET', '/v1/me');
    $('me-name').textContent = me.displayName ?? me.name;
    $('me-role').textContent = me.role;
    $('me-ext').textContent = me.extension ? `extension ${me.extension}` : '';
    $('signin').hidden = true;
    $('account').hidden = false;
    followEvents();
  } catch (err) {
    token = null;
    sessionStorage.removeItem('sb-token');
  }
}

$('signin-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  $('signin-error').textContent = '';
  try {
    const session = await api('POST', '/v1/sessions', { name: form.get('name'), password: form.get('password') });
    token = session.token;
    sessionStorage.setItem('sb-token', token);
    await showAccount();
  } catch (err) {
    $('signin-error').textContent = err.message;
  }
});

$('signout').addEventListener('click', async () => {
  try { await api('DELETE', '/v1/sessions/current'); } catch { /* already gone */ }
  socket?.close();
  token = null;
  sessionStorage.removeItem('sb-token');
  location.reload();
});

api('GET', '/v1/version').then((v) => { $('version').textContent = `version ${v.version}`; });
if (token) showAccount();
