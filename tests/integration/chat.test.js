// Web chat end to end over HTTP and WebSocket: the demo bot answers, hands
// off through the router, agents accept offers and chat, transfer, invite
// an expert; a consumer reconnects and resumes without gap; bad input gets
// clear errors; floods are limited; kill -9 keeps threads and waiting jobs.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {api, login, useServer, userByName, makeTempDir, errorBody, demoConfigText,
        DEMO_API_KEY, sleep} from './lib/server.js';
import {EventStream} from './lib/ws.js';

const admin = {apiKey: DEMO_API_KEY};

async function openChat(url, name = 'Ann', widget = 'harbor-web') {
    const r = await api(url, 'POST', '/v1/chat/threads', {body: {widget, name}});
    assert.equal(r.status, 201, r.text);
    assert.match(r.json.token, /^sbc_/);
    return {id: r.json.thread.id, token: r.json.token, thread: r.json.thread};
}

const say = (url, chat, text, extra = {}) =>
    api(url, 'POST', `/v1/chat/threads/${chat.id}/messages`, {token: chat.token, body: {text, ...extra}});

const messages = async (url, id, auth, query = '') => {
    const r = await api(url, 'GET', `/v1/chat/threads/${id}/messages${query}`, auth);
    assert.equal(r.status, 200, r.text);
    return r.json.messages;
};

const stream = (url, token) => EventStream.open(url, {token, path: '/v1/chat/stream'});

async function subscribe(s, threadId, after) {
    const msg = {type: 'subscribe', threadId};
    if (after !== undefined) msg.after = after;
    s.send(msg);
    const m = await s.next((x) => (x.type === 'subscribed' && x.threadId === threadId) || x.type === 'error');
    assert.equal(m.type, 'subscribed', JSON.stringify(m));
    return m;
}

const setAvailable = (url, worker, available) =>
    api(url, 'POST', `/v1/router/workers/${worker}/availability`, {...admin, body: {available}});

/* Only the named support workers take chats (the demo has them all on). */
async function onlyWorkers(url, names) {
    for (const w of ['alice', 'bob', 'carol', 'dave']) {
        const r = await setAvailable(url, w, names.includes(w));
        assert.ok(r.status === 200 || r.status === 409, r.text); // 409: already so
    }
}

/* The offer of a chat thread's job to a worker, from its event stream. */
async function offerFor(events, worker, threadId, url) {
    for (;;) {
        const m = await events.next((x) => x.type === 'event' && x.event.type === 'offerIssued' &&
                                          x.event.data.workerId === worker, {timeoutMs: 15000});
        const job = await api(url, 'GET', `/v1/router/jobs/${m.event.data.jobId}`, admin);
        if (job.json.labels.threadId === threadId) return m.event.data;
    }
}

const accept = (url, token, worker, offerId) =>
    api(url, 'POST', `/v1/router/workers/${worker}/offers/${offerId}/accept`, {token});

test('bot, handoff, agents, transfer, expert, resume', async (t) => {
    const srv = await useServer(t);
    const url = srv.url;
    await onlyWorkers(url, ['alice', 'bob']);
    const alice = await login(url, 'alice');
    const bob = await login(url, 'bob');
    const erin = await login(url, 'erin');
    const erinUser = await userByName(url, 'erin');
    const aliceEvents = await EventStream.open(url, {token: alice, query: {topics: 'router'}});
    const bobEvents = await EventStream.open(url, {token: bob, query: {topics: 'router'}});
    const chatEvents = await EventStream.open(url, {apiKey: DEMO_API_KEY, query: {topics: 'chat'}});
    const nextCreated = () => chatEvents.next((m) => m.type === 'event' && m.event.type === 'messageCreated');

    // Consumer A: the greeting and quick replies are there at once.
    const a = await openChat(url, 'Ann');
    assert.equal(a.thread.state, 'bot');
    let msgs = await messages(url, a.id, {token: a.token});
    assert.match(msgs[0].text, /Harbor Cycles assistant/);
    assert.equal(msgs[0].sender.kind, 'bot');
    assert.deepEqual(msgs[0].quickReplies.map((q) => q.label).slice(0, 2), ['Opening hours', 'Returns']);

    // The bot answers a question, then collects an order number with re-asking.
    let r = await say(url, a, 'When are you OPEN?');
    assert.equal(r.status, 201, r.text);
    msgs = await messages(url, a.id, {token: a.token}, `?after=${r.json.message.seq}`);
    assert.match(msgs[0].text, /open Monday to Friday/);
    r = await say(url, a, 'where is my order');
    r = await say(url, a, '12345');
    msgs = await messages(url, a.id, {token: a.token}, `?after=${r.json.message.seq}`);
    assert.match(msgs[0].text, /doesn't look like an order number/);
    r = await say(url, a, 'HC-12345');
    msgs = await messages(url, a.id, {token: a.token}, `?after=${r.json.message.seq}`);
    assert.match(msgs[0].text, /Order HC-12345 is on its way/);

    // "talk to a person" hands off to support: a job, a waiting notice.
    const consumerWs = await stream(url, a.token);
    const hello = await subscribe(consumerWs, a.id);
    assert.equal(hello.thread.state, 'bot');
    r = await say(url, a, 'I want to talk to a person please');
    const waiting = await consumerWs.next((m) => m.type === 'message' && m.message.data?.event === 'waiting');
    assert.match(waiting.message.text, /number 1 in line|shortly/);
    let th = await api(url, 'GET', `/v1/chat/threads/${a.id}`, {token: a.token});
    assert.equal(th.json.state, 'waiting');
    assert.equal(th.json.queue, 'support');
    assert.equal(th.json.fields.orderNumber, 'HC-12345');

    // The job carries the thread, the collected fields and the flow's labels.
    const offerA = await offerFor(aliceEvents, 'alice', a.id, url);
    const job = await api(url, 'GET', `/v1/router/jobs/${offerA.jobId}`, admin);
    assert.equal(job.json.channelId, 'chat');
    assert.equal(job.json.labels.orderNumber, 'HC-12345');
    assert.equal(job.json.labels.language, 'en');
    assert.equal(job.json.labels.topic, 'orders');

    // Before accepting, alice may not read the thread.
    r = await api(url, 'GET', `/v1/chat/threads/${a.id}`, {token: alice});
    errorBody(r, 403, 'forbidden');

    r = await accept(url, alice, 'alice', offerA.offerId);
    assert.equal(r.status, 200, r.text);
    // She joined before the accept answered: the whole transcript is hers.
    const joined = await consumerWs.next((m) => m.type === 'message' && m.message.data?.event === 'joined');
    assert.match(joined.message.text, /Alice.* joined the chat/);
    const aliceWs = await stream(url, alice);
    const aHello = await subscribe(aliceWs, a.id, 0);
    assert.equal(aHello.thread.state, 'active');
    assert.equal(aHello.thread.fields.orderNumber, 'HC-12345');
    const replay = [];
    while (replay.length < aHello.lastSeq)
        replay.push((await aliceWs.nextOfType('message')).message);
    assert.deepEqual(replay.map((m) => m.seq), [...Array(aHello.lastSeq).keys()].map((i) => i + 1));
    assert.ok(replay.some((m) => m.sender.kind === 'bot'), 'bot turns in the transcript');

    // Messages both ways over the WebSocket, acknowledged after commit.
    aliceWs.send({type: 'send', threadId: a.id, text: 'Hi Ann, Alice here.', clientMessageId: 'a1'});
    const ack = await aliceWs.next((m) => m.type === 'ack' && m.clientMessageId === 'a1');
    const got = await consumerWs.next((m) => m.type === 'message' && m.message.seq === ack.seq);
    assert.equal(got.message.text, 'Hi Ann, Alice here.');
    assert.equal(got.message.sender.kind, 'agent');
    // A staff message is an event (reports time the first response)...
    const created = await nextCreated();
    assert.equal(created.event.data.threadId, a.id);
    assert.equal(created.event.data.seq, ack.seq);
    assert.equal(created.event.data.senderKind, 'agent');
    consumerWs.send({type: 'typing', threadId: a.id, typing: true});
    const typing = await aliceWs.next((m) => m.type === 'typing');
    assert.equal(typing.participantId, 'consumer');
    consumerWs.send({type: 'send', threadId: a.id, text: 'Thanks!', clientMessageId: 'c1'});
    const cAck = await consumerWs.next((m) => m.type === 'ack' && m.clientMessageId === 'c1');
    await aliceWs.next((m) => m.type === 'message' && m.message.seq === cAck.seq);
    aliceWs.send({type: 'read', threadId: a.id, seq: cAck.seq});
    const read = await consumerWs.next((m) => m.type === 'read');
    assert.equal(read.seq, cAck.seq);

    // Reconnect and resume: the consumer misses three messages while away.
    const lastSeen = cAck.seq;
    await consumerWs.close();
    for (const text of ['one', 'two', 'three']) {
        r = await api(url, 'POST', `/v1/chat/threads/${a.id}/messages`, {token: alice, body: {text}});
        assert.equal(r.status, 201, r.text);
    }
    // ...the consumer's, the bot's and system messages are not: the next
    // event is alice's "one", not the consumer's "Thanks!" before it.
    assert.equal((await nextCreated()).event.data.seq, lastSeen + 1);
    const again = await stream(url, a.token);
    await subscribe(again, a.id, lastSeen);
    const resumed = await again.drain();
    assert.deepEqual(resumed.filter((m) => m.type === 'message').map((m) => m.message.text), ['one', 'two', 'three']);
    assert.deepEqual(resumed.map((m) => m.message.seq), [lastSeen + 1, lastSeen + 2, lastSeen + 3]);

    // Consumer B, handed off at once by the API, also goes to alice.
    const b = await openChat(url, 'Ben');
    r = await api(url, 'POST', `/v1/chat/threads/${b.id}/handoff`, {token: b.token, body: {}});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.state, 'waiting');
    const offerB = await offerFor(aliceEvents, 'alice', b.id, url);
    assert.equal((await accept(url, alice, 'alice', offerB.offerId)).status, 200);

    // Ben may not read Ann's chat, nor write in it; alice sees both.
    errorBody(await api(url, 'GET', `/v1/chat/threads/${a.id}`, {token: b.token}), 404, 'not_found');
    errorBody(await say(url, {id: a.id, token: b.token}, 'hello?'), 404, 'not_found');
    const mine = await api(url, 'GET', '/v1/chat/threads?mine=true', {token: alice});
    assert.deepEqual(mine.json.items.map((x) => x.id).sort(), [a.id, b.id].sort());

    // Alice invites erin as an expert into Ben's chat.
    const erinEvents = await EventStream.open(url, {token: erin, query: {topics: 'chat'}});
    // Agents may not list users: they invite by login name.
    errorBody(await api(url, 'POST', `/v1/chat/threads/${b.id}/participants`, {token: alice, body: {name: 'nobody'}}), 404, 'not_found');
    r = await api(url, 'POST', `/v1/chat/threads/${b.id}/participants`, {token: alice, body: {name: 'erin'}});
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.participants.some((p) => p.kind === 'expert' && p.userId === erinUser.id));
    const invited = await erinEvents.next((m) => m.type === 'event' && m.event.type === 'threadInvited');
    assert.equal(invited.event.data.threadId, b.id);
    r = await api(url, 'POST', `/v1/chat/threads/${b.id}/messages`, {token: erin, body: {text: 'Expert here.'}});
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.message.sender.kind, 'expert');
    errorBody(await api(url, 'POST', `/v1/chat/threads/${a.id}/messages`, {token: erin, body: {text: 'x'}}), 403, 'forbidden');

    // Alice transfers Ann's chat to sales: bob gets it, alice leaves it.
    r = await api(url, 'POST', `/v1/chat/threads/${a.id}/transfer`, {token: alice, body: {queue: 'sales'}});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.state, 'waiting');
    assert.equal(r.json.queue, 'sales');
    const offerT = await offerFor(bobEvents, 'bob', a.id, url);
    assert.equal((await accept(url, bob, 'bob', offerT.offerId)).status, 200);
    th = await api(url, 'GET', `/v1/chat/threads/${a.id}`, {token: bob});
    assert.equal(th.json.state, 'active');
    const present = th.json.participants.filter((p) => !p.leftAt).map((p) => p.name);
    assert.ok(present.includes('Bob') || present.some((n) => /bob/i.test(n)), JSON.stringify(present));
    errorBody(await api(url, 'POST', `/v1/chat/threads/${a.id}/messages`, {token: alice, body: {text: 'x'}}), 403, 'forbidden');

    // Bob ends it; the job closes with wrap-up; the consumer cannot write.
    r = await api(url, 'POST', `/v1/chat/threads/${a.id}/end`, {token: bob, body: {disposition: 'resolved', wrapUpSeconds: 0}});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.state, 'ended');
    errorBody(await say(url, a, 'are you there?'), 409, 'thread_ended');
    const jobAfter = await api(url, 'GET', `/v1/router/jobs/${offerT.jobId}`, admin);
    assert.equal(jobAfter.json.state, 'closed');

    // Alice transfers Ben's chat to bob by name: his queue, only him.
    const bobUser = await userByName(url, 'bob');
    r = await api(url, 'POST', `/v1/chat/threads/${b.id}/transfer`, {token: alice, body: {userId: bobUser.id}});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.queue, 'sales', 'bob serves sales only');
    const offerP = await offerFor(bobEvents, 'bob', b.id, url);
    const pjob = await api(url, 'GET', `/v1/router/jobs/${offerP.jobId}`, admin);
    assert.deepEqual(pjob.json.requestedWorkerSelectors.map((x) => [x.key, x.value]), [['userId', bobUser.id]]);
    assert.equal((await accept(url, bob, 'bob', offerP.offerId)).status, 200);
    const bView = await api(url, 'GET', `/v1/chat/threads/${b.id}`, {token: bob});
    assert.equal(bView.json.state, 'active');
    assert.ok(bView.json.participants.some((p) => p.kind === 'expert' && !p.leftAt), 'the expert stays');

    // Managers read every thread; the chat events are in the log.
    const maria = await login(url, 'maria');
    assert.equal((await api(url, 'GET', `/v1/chat/threads/${b.id}`, {token: maria})).status, 200);
    errorBody(await api(url, 'POST', `/v1/chat/threads/${b.id}/messages`, {token: maria, body: {text: 'x'}}), 403, 'forbidden');
    for (const s of [aliceEvents, bobEvents, erinEvents, aliceWs, again]) await s.close();
});

test('edits, deletes, history pages and bad input', async (t) => {
    const srv = await useServer(t);
    const url = srv.url;
    const c = await openChat(url, 'Eve');
    const first = await say(url, c, 'helo');
    assert.equal(first.status, 201);
    const seq = first.json.message.seq;
    let r = await api(url, 'PATCH', `/v1/chat/threads/${c.id}/messages/${seq}`, {token: c.token, body: {text: 'hello'}});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.message.kind, 'edit');
    assert.equal(r.json.message.refSeq, seq);
    let msgs = await messages(url, c.id, {token: c.token});
    const orig = msgs.find((m) => m.seq === seq);
    assert.equal(orig.text, 'hello');
    assert.equal(orig.edited, true);
    // Only the sender changes a message: the bot's greeting is not ours.
    errorBody(await api(url, 'PATCH', `/v1/chat/threads/${c.id}/messages/1`, {token: c.token, body: {text: 'x'}}), 403, 'not_sender');
    r = await api(url, 'DELETE', `/v1/chat/threads/${c.id}/messages/${seq}`, {token: c.token});
    assert.equal(r.status, 204, r.text);
    msgs = await messages(url, c.id, {token: c.token});
    assert.equal(msgs.find((m) => m.seq === seq).deleted, true);
    assert.equal(msgs.find((m) => m.seq === seq).text, '');
    assert.equal(msgs.at(-1).kind, 'delete');

    // Sending again with the same clientMessageId gives the stored message.
    const once = await say(url, c, 'only once', {clientMessageId: 'cm-1'});
    const twice = await say(url, c, 'only once', {clientMessageId: 'cm-1'});
    assert.equal(twice.status, 201);
    assert.equal(twice.json.message.seq, once.json.message.seq);
    assert.equal(twice.json.message.clientMessageId, 'cm-1');
    const th = await api(url, 'GET', `/v1/chat/threads/${c.id}`, {token: c.token});
    assert.equal((await messages(url, c.id, {token: c.token}, '?after=0&limit=200')).filter((m) => m.clientMessageId === 'cm-1').length, 1);
    assert.equal(th.json.widgetTitle, 'Harbor Cycles');

    // Pages: the newest page, then the one before it, ascending each.
    for (let i = 0; i < 6; i++) await say(url, c, `bla ${i}`);
    const all = await messages(url, c.id, {token: c.token}, '?after=0&limit=200');
    const newest = await api(url, 'GET', `/v1/chat/threads/${c.id}/messages?limit=5`, {token: c.token});
    assert.equal(newest.json.hasMore, true);
    assert.deepEqual(newest.json.messages.map((m) => m.seq), all.slice(-5).map((m) => m.seq));
    const before = await api(url, 'GET', `/v1/chat/threads/${c.id}/messages?limit=5&before=${newest.json.messages[0].seq}`, {token: c.token});
    assert.deepEqual(before.json.messages.map((m) => m.seq), all.slice(-10, -5).map((m) => m.seq));

    // Bad input.
    errorBody(await say(url, c, '   '), 422, 'empty_message');
    errorBody(await say(url, c, 'x'.repeat(4001)), 422, 'message_too_long');
    assert.equal((await say(url, c, 'é'.repeat(4000))).status, 201, 'the limit counts characters');
    r = await api(url, 'POST', `/v1/chat/threads/${c.id}/messages`, {
        token: c.token, body: Buffer.from('{"text":"\xff\xfe bad"}', 'latin1'),
        headers: {'Content-Type': 'application/json'}});
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /UTF-8/i);
    errorBody(await api(url, 'GET', '/v1/chat/threads/cht_nope', {token: c.token}), 404, 'not_found');
    errorBody(await api(url, 'GET', '/v1/chat/threads/cht_nope', admin), 404, 'not_found');
    errorBody(await api(url, 'POST', '/v1/chat/threads', {body: {widget: 'nope'}}), 404, 'not_found');
    errorBody(await api(url, 'POST', '/v1/chat/threads', {body: {}}), 422, 'invalid');
    errorBody(await api(url, 'GET', `/v1/chat/threads/${c.id}`, {token: 'sbc_not_a_real_token'}), 401, 'invalid_token');
    errorBody(await api(url, 'GET', `/v1/chat/threads/${c.id}`, {}), 401, 'unauthenticated');
    // A consumer token opens nothing else.
    errorBody(await api(url, 'GET', '/v1/users', {token: c.token}), 403, 'forbidden');
    errorBody(await api(url, 'GET', '/v1/chat/threads', {token: c.token}), 403, 'forbidden');
    const ws = await stream(url, c.token);
    ws.send({type: 'subscribe', threadId: 'cht_other'});
    const err = await ws.nextOfType('error');
    assert.equal(err.error.code, 'not_found');
    ws.send('not json');
    assert.equal((await ws.nextOfType('error')).error.code, 'invalid_json');
    ws.send({type: 'send', threadId: c.id, text: '', clientMessageId: 'e1'});
    const e1 = await ws.nextOfType('error');
    assert.equal(e1.error.code, 'empty_message');
    assert.equal(e1.clientMessageId, 'e1');
    await ws.close();
});

test('a flood of messages from one token is refused with 429', async (t) => {
    const srv = await useServer(t, {configText: demoConfigText({chat: {messagesPerMinute: 5}})});
    const c = await openChat(srv.url);
    for (let i = 0; i < 5; i++) assert.equal((await say(srv.url, c, `msg ${i}`)).status, 201);
    const r = await say(srv.url, c, 'one too many');
    errorBody(r, 429, 'rate_limited');
    assert.ok(Number(r.headers.get('retry-after')) > 0);
    // Another consumer is not affected.
    const d = await openChat(srv.url, 'Dan');
    assert.equal((await say(srv.url, d, 'hello')).status, 201);
});

test('no answer: the consumer leaves a message that agents can read', async (t) => {
    const srv = await useServer(t);
    const url = srv.url;
    await onlyWorkers(url, []);
    let r = await api(url, 'PUT', '/v1/chat/widgets/quick', {...admin, body: {bot: 'harbor-assistant', queue: 'support', noAnswerSeconds: 5}});
    assert.equal(r.status, 201, r.text);
    const c = await openChat(url, 'Lou', 'quick');
    const ws = await stream(url, c.token);
    await subscribe(ws, c.id);
    await say(url, c, 'talk to a person');
    const offer = await ws.next((m) => m.type === 'message' && m.message.data?.event === 'noAnswer', {timeoutMs: 15000});
    assert.deepEqual(offer.message.quickReplies.map((q) => q.label), ['Leave a message', 'Keep waiting']);
    assert.equal((await say(url, c, 'Leave a message')).status, 201);
    await ws.next((m) => m.type === 'message' && m.message.data?.event === 'leaveMessage');
    const left = await say(url, c, 'Please call me about my bike: lou@example.com');
    assert.equal(left.status, 201, left.text);
    const done = await ws.next((m) => m.type === 'thread' && m.thread.state === 'messageLeft');
    assert.ok(done.thread.endedAt);
    const alice = await login(url, 'alice');
    r = await api(url, 'GET', '/v1/chat/threads?state=messageLeft', {token: alice});
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.items.map((x) => x.id), [c.id]);
    const msgs = await messages(url, c.id, {token: alice});
    assert.ok(msgs.some((m) => m.text.includes('lou@example.com')));
    errorBody(await api(url, 'POST', `/v1/chat/threads/${c.id}/messages`, {token: alice, body: {text: 'x'}}), 403, 'forbidden');
    await ws.close();
});

test('kill -9 keeps threads, messages and waiting chat jobs', async (t) => {
    const data = makeTempDir(t);
    const first = await useServer(t, {dataDir: data});
    await onlyWorkers(first.url, []);
    const c = await openChat(first.url, 'Kim');
    await say(first.url, c, 'talk to a person');
    const acked = [];
    for (let i = 0; i < 20; i++) {
        const r = await say(first.url, c, `still here ${i}`);
        assert.equal(r.status, 201);
        acked.push(r.json.message.seq);
    }
    const th = await api(first.url, 'GET', `/v1/chat/threads/${c.id}`, {token: c.token});
    assert.equal(th.json.state, 'waiting');
    await first.kill();

    const second = await useServer(t, {dataDir: data});
    const after = await api(second.url, 'GET', `/v1/chat/threads/${c.id}`, {token: c.token});
    assert.equal(after.status, 200, after.text);
    assert.equal(after.json.state, 'waiting');
    assert.equal(after.json.lastSeq, th.json.lastSeq);
    const msgs = await messages(second.url, c.id, {token: c.token}, '?after=0&limit=200');
    for (const s of acked) assert.ok(msgs.some((m) => m.seq === s), `message ${s} kept`);
    const job = await api(second.url, 'GET', `/v1/router/jobs/${after.json.jobId}`, admin);
    assert.equal(job.json.state, 'queued');
    // An agent who comes back gets it.
    assert.equal((await setAvailable(second.url, 'carol', true)).status, 200);
    const carol = await login(second.url, 'carol');
    const ev = await EventStream.open(second.url, {token: carol, query: {topics: 'router', after: 0}});
    const offer = await offerFor(ev, 'carol', c.id, second.url);
    assert.equal((await accept(second.url, carol, 'carol', offer.offerId)).status, 200);
    assert.equal((await api(second.url, 'GET', `/v1/chat/threads/${c.id}`, {token: carol})).json.state, 'active');
    await ev.close();
});

test('after hours the bot takes a message instead of handing off', async (t) => {
    const srv = await useServer(t);
    const url = srv.url;
    let r = await api(url, 'PUT', '/v1/chat/bots/night', {...admin, body: {
        start: 'hello',
        businessHours: {timezone: 'Europe/London', weekly: {}, afterHours: 'closed'},
        nodes: {
            hello: {say: 'Hello!', handoff: {queue: 'support'}},
            closed: {say: 'We are closed.', takeMessage: {prompt: 'Leave us a message.'}, next: 'thanks'},
            thanks: {say: 'Thanks, we will write back.'},
        }}});
    assert.equal(r.status, 201, r.text);
    r = await api(url, 'PUT', '/v1/chat/widgets/night-web', {...admin, body: {bot: 'night', queue: 'support'}});
    assert.equal(r.status, 201, r.text);
    const c = await openChat(url, 'Nat', 'night-web');
    let msgs = await messages(url, c.id, {token: c.token});
    assert.deepEqual(msgs.map((m) => m.text), ['We are closed.', 'Leave us a message.']);
    assert.equal((await say(url, c, 'My bell rings by itself. nat@example.com')).status, 201);
    const th = await api(url, 'GET', `/v1/chat/threads/${c.id}`, {token: c.token});
    assert.equal(th.json.state, 'messageLeft');
    assert.equal(th.json.jobId, null, 'no job: nobody was there');
    msgs = await messages(url, c.id, {token: c.token});
    assert.ok(msgs.some((m) => m.text === 'Thanks, we will write back.'));
    const dave = await login(url, 'dave');
    r = await api(url, 'GET', '/v1/chat/threads?state=messageLeft', {token: dave});
    assert.deepEqual(r.json.items.map((x) => x.id), [c.id]);
});

test('the thread list is newest first, paged by cursor', async (t) => {
    const srv = await useServer(t);
    const ids = [];
    for (let i = 0; i < 5; i++) {
        ids.push((await openChat(srv.url, `C${i}`)).id);
        await sleep(5);
    }
    const seen = [];
    let cursor = '';
    for (;;) {
        const r = await api(srv.url, 'GET', `/v1/chat/threads?limit=2${cursor ? `&cursor=${cursor}` : ''}`, admin);
        assert.equal(r.status, 200, r.text);
        seen.push(...r.json.items.map((x) => x.id));
        if (!r.json.nextCursor) break;
        cursor = r.json.nextCursor;
    }
    assert.deepEqual(seen, ids.reverse());
});

test('a consumer waiting may leave a message instead, through the API', async (t) => {
    const srv = await useServer(t);
    await onlyWorkers(srv.url, []);
    const c = await openChat(srv.url, 'Mo');
    let r = await api(srv.url, 'POST', `/v1/chat/threads/${c.id}/handoff`, {token: c.token, body: {}});
    assert.equal(r.json.state, 'waiting');
    errorBody(await api(srv.url, 'POST', `/v1/chat/threads/${c.id}/leave-message`, {token: c.token, body: {text: ''}}), 422, 'empty_message');
    r = await api(srv.url, 'POST', `/v1/chat/threads/${c.id}/leave-message`, {token: c.token, body: {text: 'Call me back: mo@example.com'}});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.state, 'messageLeft');
    const job = await api(srv.url, 'GET', `/v1/router/jobs/${r.json.jobId}`, admin);
    assert.equal(job.json.state, 'cancelled');
    errorBody(await api(srv.url, 'POST', `/v1/chat/threads/${c.id}/leave-message`, {token: c.token, body: {text: 'again'}}), 409, 'not_waiting');
});
