// Reports (docs/reporting.md) through the real server: router jobs and a
// chat driven over the API give the figures of /v1/reports/...; the CSV of
// every report holds the same rows as its JSON; live figures arrive on the
// event stream (topic "reports"); surveys; a call through a call queue;
// /metrics parses as Prometheus text; and the checks on roles and input.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {api, login, useServer, startServer, makeTempDir, errorBody, demoConfigText, DEMO_API_KEY,
        sleep} from './lib/server.js';
import {EventStream} from './lib/ws.js';
import {SipUA} from './lib/sipua.js';
import {assertCsvMatchesJson} from './lib/csv.js';

const admin = {apiKey: DEMO_API_KEY};

async function onlyWorkers(url, names) {
    for (const w of ['alice', 'bob', 'carol', 'dave']) {
        const r = await api(url, 'POST', `/v1/router/workers/${w}/availability`,
                            {...admin, body: {available: names.includes(w), reason: 'test'}});
        assert.ok(r.status === 200 || r.status === 409, r.text);
    }
}

const offerOf = (events, jobId) =>
    events.next((m) => m.type === 'event' && m.event.type === 'offerIssued' && m.event.data.jobId === jobId,
                {timeoutMs: 15000}).then((m) => m.event.data);

async function report(url, auth, name, query = '') {
    const r = await api(url, 'GET', `/v1/reports/${name}${query}`, auth);
    assert.equal(r.status, 200, r.text);
    return r.json.rows;
}

const find = (rows, key, id, channel) =>
    rows.find((r) => r[key] === id && (!channel || r.channel === channel));

/* The CSV of a report has the JSON's rows. An agent's time in its current
 * state grows between two requests: those columns (`growing`) may only be
 * larger in the later CSV; occupancy follows from them. */
async function csvEqualsJson(url, auth, name, query, growing = []) {
    const json = await report(url, auth, name, query);
    const r = await api(url, 'GET', `/v1/reports/${name}${query}${query ? '&' : '?'}format=csv`, auth);
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^text\/csv/);
    const viaAccept = await api(url, 'GET', `/v1/reports/${name}${query}`, {...auth, headers: {Accept: 'text/csv'}});
    assert.equal(viaAccept.status, 200);
    assert.match(viaAccept.headers.get('content-type'), /^text\/csv/);
    if (!growing.length) assert.equal(viaAccept.text, r.text, 'Accept: text/csv gives the same CSV');
    assertCsvMatchesJson(r.text, json, {name, growing});
    return json;
}

test('router jobs and a chat give the report figures; CSV equals JSON; live updates and surveys', async (t) => {
    const srv = await useServer(t);
    const url = srv.url;
    await onlyWorkers(url, ['alice']);
    const maria = await login(url, 'maria'); // the shift manager
    const alice = await login(url, 'alice');
    const lead = {token: maria};
    const aliceEvents = await EventStream.open(url, {token: alice, query: {topics: 'router'}});
    t.after(() => aliceEvents.close());
    const live = await EventStream.open(url, {token: maria, query: {topics: 'reports'}});
    t.after(() => live.close());

    // V1: a voice job in sales, answered by alice, completed and closed.
    let r = await api(url, 'POST', '/v1/router/jobs', {...admin, body: {channelId: 'voice', queueId: 'sales'}});
    assert.equal(r.status, 201, r.text);
    const v1 = r.json.id;
    const offer = await offerOf(aliceEvents, v1);
    r = await api(url, 'POST', `/v1/router/workers/alice/offers/${offer.offerId}/accept`, {token: alice});
    assert.equal(r.status, 200, r.text);
    await sleep(50);
    r = await api(url, 'POST', `/v1/router/jobs/${v1}/complete`, {...admin, body: {}});
    assert.equal(r.status, 200, r.text);
    r = await api(url, 'POST', `/v1/router/jobs/${v1}/close`, {...admin, body: {dispositionCode: 'done'}});
    assert.equal(r.status, 200, r.text);

    // V2: nobody is available; it waits (the live figures say so within a
    // second or so), then the caller gives up.
    await onlyWorkers(url, []);
    r = await api(url, 'POST', '/v1/router/jobs', {...admin, body: {channelId: 'voice', queueId: 'sales'}});
    const v2 = r.json.id;
    const waiting = await live.next((m) => m.type === 'event' && m.event.type === 'liveUpdated' &&
                                           m.event.data.queues.some((q) => q.queueId === 'sales' &&
                                                                          q.channel === 'voice' && q.waiting === 1),
                                    {timeoutMs: 5000});
    assert.equal(waiting.event.topic, 'reports');
    assert.equal(waiting.event.seq, 0, 'live figures are not stored in the log');
    assert.equal(waiting.event.data.agentsByState.unavailable, 4);
    r = await api(url, 'POST', `/v1/router/jobs/${v2}/cancel`, {...admin, body: {dispositionCode: 'abandoned'}});
    assert.equal(r.status, 200, r.text);
    await live.next((m) => m.type === 'event' && m.event.type === 'liveUpdated' &&
                           m.event.data.queues.some((q) => q.queueId === 'sales' && q.waiting === 0 &&
                                                          q.today.abandoned === 1),
                    {timeoutMs: 5000});

    // A chat: the bot hands off to support, alice answers and ends it.
    await onlyWorkers(url, ['alice']);
    r = await api(url, 'POST', '/v1/chat/threads', {body: {widget: 'harbor-web', name: 'Ann'}});
    assert.equal(r.status, 201, r.text);
    const chat = {id: r.json.thread.id, token: r.json.token};
    r = await api(url, 'POST', `/v1/chat/threads/${chat.id}/messages`, {token: chat.token, body: {text: 'When are you open?'}});
    r = await api(url, 'POST', `/v1/chat/threads/${chat.id}/messages`,
                  {token: chat.token, body: {text: 'I want to talk to a person please'}});
    assert.equal(r.status, 201, r.text);
    const chatOffer = await aliceEvents.next((m) => m.type === 'event' && m.event.type === 'offerIssued' &&
                                                    m.event.data.workerId === 'alice', {timeoutMs: 15000});
    r = await api(url, 'POST', `/v1/router/workers/alice/offers/${chatOffer.event.data.offerId}/accept`, {token: alice});
    assert.equal(r.status, 200, r.text);
    r = await api(url, 'POST', `/v1/chat/threads/${chat.id}/messages`, {token: alice, body: {text: 'Hello, Alice here.'}});
    assert.equal(r.status, 201, r.text);
    r = await api(url, 'POST', `/v1/chat/threads/${chat.id}/end`, {token: alice, body: {disposition: 'resolved', wrapUpSeconds: 0}});
    assert.equal(r.status, 200, r.text);

    // The consumer's survey: once, 1 to 5, by the consumer only.
    const survey = (auth, body) => api(url, 'POST', `/v1/chat/threads/${chat.id}/survey`, {...auth, body});
    errorBody(await survey({token: chat.token}, {score: 9}), 422, 'invalid');
    errorBody(await survey({token: chat.token}, {score: 3, comment: 7}), 422, 'invalid');
    errorBody(await survey({token: alice}, {score: 5}), 403, 'forbidden');
    r = await survey({token: chat.token}, {score: 4, comment: 'Quick and kind, thanks'});
    assert.equal(r.status, 201, r.text);
    errorBody(await survey({token: chat.token}, {score: 5}), 409, 'already_answered');

    // The day's figures.
    const queues = await csvEqualsJson(url, lead, 'queues', '');
    const sales = find(queues, 'queueId', 'sales', 'voice');
    assert.equal(sales.offered, 2);
    assert.equal(sales.answered, 1);
    assert.equal(sales.abandoned, 1);
    assert.equal(sales.handled, 1);
    assert.equal(sales.serviceLevelSeconds, 20);
    assert.equal(sales.answeredWithinThreshold, 1);
    assert.ok(sales.avgHandleSeconds > 0);
    const support = find(queues, 'queueId', 'support', 'chat');
    assert.equal(support.offered, 1);
    assert.equal(support.answered, 1);
    assert.equal(support.handled, 1);

    const agents = await csvEqualsJson(url, lead, 'agents', '?interval=1h', ['stateSeconds.', 'occupancy']);
    const aliceRows = agents.filter((a) => a.workerId === 'alice');
    assert.equal(aliceRows.reduce((n, a) => n + a.answered, 0), 2);
    assert.equal(aliceRows.reduce((n, a) => n + a.handled, 0), 2);
    assert.ok(aliceRows.reduce((n, a) => n + a.stateSeconds.busy, 0) > 0);

    const bots = await csvEqualsJson(url, lead, 'bots', '?interval=15m');
    const bot = bots.find((b) => b.botId === 'harbor-assistant');
    assert.equal(bot.conversations, 1);
    assert.equal(bot.handedOff, 1);
    assert.equal(bot.contained, 0);
    assert.ok(bot.topIntents.length >= 1, JSON.stringify(bot));

    const chatRows = await csvEqualsJson(url, lead, 'chat', '');
    const sc = find(chatRows, 'queueId', 'support', 'chat');
    assert.equal(sc.resolved, 1);
    assert.equal(sc.responded, 1);
    assert.ok(sc.avgFirstResponseSeconds >= 0);

    const sat = await csvEqualsJson(url, lead, 'satisfaction', '');
    const s = find(sat, 'queueId', 'support', 'chat');
    assert.equal(s.responses, 1);
    assert.equal(s.avgScore, 4);
    assert.equal(s.scores['4'], 1);
    const byAgent = await csvEqualsJson(url, lead, 'satisfaction', '?by=agent');
    assert.equal(find(byAgent, 'workerId', 'alice', 'chat').avgScore, 4);
    await csvEqualsJson(url, lead, 'attendants', '');

    // Filters.
    const onlySales = await report(url, lead, 'queues', '?queueId=sales&channel=voice&serviceLevelSeconds=60');
    assert.equal(onlySales.length, 1);
    assert.equal(onlySales[0].serviceLevelSeconds, 60);

    // The live view.
    r = await api(url, 'GET', '/v1/reports/live', lead);
    assert.equal(r.status, 200, r.text);
    const liveSales = r.json.queues.find((q) => q.queueId === 'sales' && q.channel === 'voice');
    assert.equal(liveSales.waiting, 0);
    assert.equal(liveSales.today.offered, 2);
    assert.equal(r.json.agentsByState.available, 1);
    assert.ok(r.json.agents.some((a) => a.workerId === 'alice' && a.state === 'available'));
});

test('the sums survive a restart without counting anything twice', async (t) => {
    const dataDir = makeTempDir(t);
    const t0 = Date.now();
    const first = await startServer({dataDir});
    await onlyWorkers(first.url, []);
    for (let i = 0; i < 3; i++) {
        const r = await api(first.url, 'POST', '/v1/router/jobs', {...admin, body: {channelId: 'chat', queueId: 'support'}});
        assert.equal(r.status, 201, r.text);
    }
    const before = find(await report(first.url, admin, 'queues'), 'queueId', 'support', 'chat');
    assert.equal(before.offered, 3);
    await sleep(1000);
    const down = Date.now();
    await first.close();
    const srv = await startServer({dataDir});
    t.after(() => srv.close());
    const downtime = Date.now() - down;
    const after = find(await report(srv.url, admin, 'queues'), 'queueId', 'support', 'chat');
    assert.equal(after.offered, 3);
    // Each agent's time in its states adds up to no more than the time the
    // servers were up: nothing counted twice, nothing while down.
    await sleep(300);
    const agents = await report(srv.url, admin, 'agents');
    assert.equal(agents.length, 4);
    for (const a of agents) {
        const total = Object.values(a.stateSeconds).reduce((x, y) => x + y, 0);
        const up = (Date.now() - t0 - downtime) / 1000;
        assert.ok(total > 1 && total <= up, `${a.workerId}: ${total} s in states, up ${up} s`);
    }
    // The waiting jobs are still known after the restart.
    const live = await api(srv.url, 'GET', '/v1/reports/live', admin);
    assert.equal(live.json.queues.find((q) => q.queueId === 'support' && q.channel === 'chat').waiting, 3);
});

test('a call through a call queue is offered, answered, held and handled', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    const carol = await SipUA.open({port, user: '1003', password: 'demo-carol'});
    t.after(() => carol.close());
    assert.equal((await carol.register()).status, 200);
    const caller = await SipUA.open({port, user: '+15559870001'});
    t.after(() => caller.close());
    const {res, call} = await caller.invite(`sip:+15550102@127.0.0.1:${port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    caller.ack(call);
    const inv = await carol.next((m) => m.method === 'INVITE', 20000);
    carol.answer(inv, 200, 'OK', {toTag: 'carol', body: carol.offer([0, 101])});
    await events.next((m) => m.type === 'event' && m.event.type === 'queueAnswered', {timeoutMs: 15000});
    // On hold for half a second (a re-INVITE with a=sendonly), then back.
    const reinvite = async (direction) => {
        call.cseq += 1;
        caller.request('INVITE', call.uri, {...call, body: caller.offer().replace('a=sendrecv', direction),
                                            ctype: 'application/sdp'});
        const answer = await caller.next((m) => m.status >= 200 && m.headers.cseq?.[0]?.endsWith('INVITE'));
        assert.equal(answer.status, 200);
        caller.ack(call);
    };
    await reinvite('a=sendonly');
    await events.next((m) => m.type === 'event' && m.event.type === 'callHeld', {timeoutMs: 5000});
    await sleep(500);
    await reinvite('a=sendrecv');
    await events.next((m) => m.type === 'event' && m.event.type === 'callResumed', {timeoutMs: 5000});
    await sleep(300);
    assert.equal((await caller.bye(call)).status, 200);
    carol.answer(await carol.next((m) => m.method === 'BYE', 5000));
    await events.next((m) => m.type === 'event' && m.event.type === 'callEnded', {timeoutMs: 5000});
    await sleep(300);
    const row = find(await report(srv.url, admin, 'queues'), 'queueId', 'support', 'voice');
    assert.equal(row.offered, 1);
    assert.equal(row.answered, 1);
    assert.equal(row.handled, 1);
    assert.ok(row.avgHoldSeconds >= 0.5, JSON.stringify(row));
    assert.ok(row.avgTalkSeconds >= 0.3, JSON.stringify(row));
    assert.ok(Math.abs(row.avgHandleSeconds - row.avgTalkSeconds - row.avgHoldSeconds - row.avgWrapUpSeconds) < 0.002);
    const carolRow = (await report(srv.url, admin, 'agents')).find((a) => a.workerId === 'carol');
    assert.equal(carolRow.handled, 1);
});

test('/metrics in Prometheus text for an admin key or the metrics token', async (t) => {
    const token = 'metrics-token-0123456789abcdef';
    const srv = await useServer(t, {configText: demoConfigText({reports: {metricsToken: token, serviceLevelSeconds: 30}})});
    const url = srv.url;
    await api(url, 'POST', '/v1/router/jobs', {...admin, body: {channelId: 'voice', queueId: 'sales'}});
    await sleep(100);
    for (const auth of [admin, {headers: {Authorization: `Bearer ${token}`}}]) {
        const r = await api(url, 'GET', '/metrics', auth);
        assert.equal(r.status, 200, r.text);
        assert.match(r.headers.get('content-type'), /^text\/plain; version=0.0.4/);
        const lines = r.text.split('\n').filter((l) => l.length);
        const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?[0-9.eE+-]+$/;
        const declared = new Set();
        for (const l of lines) {
            if (l.startsWith('# HELP ')) continue;
            if (l.startsWith('# TYPE ')) {
                const [, , name, type] = l.split(' ');
                assert.ok(['counter', 'gauge'].includes(type), l);
                assert.ok(!declared.has(name), `${name} declared once`);
                declared.add(name);
                continue;
            }
            assert.match(l, sample);
            const name = l.match(/^[a-zA-Z_:][a-zA-Z0-9_:]*/)[0];
            assert.ok(declared.has(name), `${name} has a TYPE line`);
        }
        assert.ok(lines.includes('switchboard_queue_contacts_total{queue="sales",channel="voice",outcome="offered"} 1'),
                  r.text);
        assert.ok(lines.some((l) => l.startsWith('switchboard_agents{state="available"} ')));
    }
    const alice = await login(url, 'alice');
    errorBody(await api(url, 'GET', '/metrics', {token: alice}), 403, 'forbidden');
    errorBody(await api(url, 'GET', '/metrics', {headers: {Authorization: 'Bearer wrong-token-0000000000'}}), 401, 'invalid_token');
    assert.equal((await api(url, 'GET', '/metrics')).status, 401);
    // The configured threshold is the default of the reports.
    const rows = await report(url, admin, 'queues');
    assert.equal(find(rows, 'queueId', 'sales', 'voice').serviceLevelSeconds, 30);
});

test('reports are for managers and admins; bad dates and intervals get clear errors', async (t) => {
    const srv = await useServer(t);
    const url = srv.url;
    const alice = await login(url, 'alice');
    errorBody(await api(url, 'GET', '/v1/reports/queues', {token: alice}), 403, 'forbidden');
    errorBody(await api(url, 'GET', '/v1/reports/live', {token: alice}), 403, 'forbidden');
    const stream = await EventStream.open(url, {token: alice});
    t.after(() => stream.close());
    const refused = await stream.subscribe(['reports']);
    assert.equal(refused.type, 'error');
    assert.equal(refused.error.code, 'forbidden');
    assert.equal((await api(url, 'GET', '/v1/reports/queues')).status, 401);
    const maria = {token: await login(url, 'maria')};
    const bad = async (query, status, re) => {
        const r = await api(url, 'GET', `/v1/reports/queues${query}`, maria);
        assert.equal(r.status, status, `${query}: ${r.text}`);
        assert.match(r.json.error.message, re);
    };
    await bad('?from=2026-13-01', 400, /from must be a real date/);
    await bad('?from=yesterday', 400, /from must be a date like 2026-12-07/);
    await bad('?to=2026-12-07T09:10', 400, /quarter hour/);
    await bad('?interval=2h', 400, /interval must be 15m, 1h or 1d/);
    await bad('?from=2026-12-07&to=2026-12-01', 422, /to must be after from/);
    await bad('?from=2026-01-01&to=2026-03-01&interval=15m', 422, /at most 31 days/);
    await bad('?serviceLevelSeconds=17', 422, /serviceLevelSeconds must be one of/);
    await bad('?channel=fax', 400, /channel must be voice or chat/);
    await bad('?format=xml', 400, /format must be json or csv/);
    errorBody(await api(url, 'GET', '/v1/reports/weather', maria), 404, 'not_found');
    const ok = await api(url, 'GET', '/v1/reports/queues?from=2026-12-01&to=2026-12-07&interval=1d', maria);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.interval, '1d');
});
