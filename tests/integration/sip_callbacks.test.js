// Call queue callbacks (docs/voice.md): a waiting caller is offered a
// callback, confirms a number on the keypad and is hung up, keeping their
// place in line (the router job stays, labelled callback); when an agent
// is free their phone rings first ("Callback" and the number), then the
// number is dialled out through the trunk (a fake carrier here) and the
// two are bridged; a number that does not answer is tried again later; a
// restart keeps the callbacks that wait; the API lists and cancels them.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {useServer, makeTempDir, sleep, api, userByName, DEMO_API_KEY} from './lib/server.js';
import {SipUA, sdpMedia, rtpPacket} from './lib/sipua.js';
import {EventStream} from './lib/ws.js';

const admin = {apiKey: DEMO_API_KEY};

async function put(srv, path, body) {
    const r = await api(srv.url, 'PUT', path, {...admin, body});
    assert.ok([200, 201].includes(r.status), `${path}: ${r.status} ${r.text}`);
}

async function available(srv, worker, yes) {
    const r = await api(srv.url, 'POST', `/v1/router/workers/${worker}/availability`, {...admin, body: {available: yes}});
    assert.equal(r.status, 200, r.text);
}

async function ua(t, port, user, password) {
    const u = await SipUA.open({port, user, password});
    t.after(() => u.close());
    return u;
}

/* The demo's carrier, played by a UA of ours; a queue offering callbacks
 * on +15550150, whose agents (support: alice, carol) are away. */
async function setUp(t, srv, callback = {}) {
    const far = await ua(t, srv.sip.port, 'carrier');
    const demo = (await api(srv.url, 'GET', '/v1/voice/trunks/demo-carrier', admin)).json;
    demo.outbound.uri = `sip:127.0.0.1:${far.port}`;
    await put(srv, '/v1/voice/trunks/demo-carrier', demo);
    await put(srv, '/v1/voice/queues/cbq', {queue: 'support',
        callback: {afterSeconds: 0, retries: 1, retrySeconds: 10, ringSeconds: 10, ...callback}});
    await put(srv, '/v1/voice/numbers/+15550150', {target: {kind: 'callQueue', callQueue: 'cbq'}});
    await available(srv, 'alice', false);
    await available(srv, 'carol', false);
    return far;
}

const on = (events, type, pred = () => true) =>
    events.next((m) => m.type === 'event' && m.event.type === type && pred(m.event.data), {timeoutMs: 30000});

/* A caller waits, hears the offer, presses 1, and confirms (digits by SIP
 * INFO); resolves with the callbackRequested event once hung up. */
async function askForCallback(t, srv, events, caller, digits) {
    const {res, call} = await caller.invite(`sip:+15550150@127.0.0.1:${srv.sip.port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    caller.ack(call);
    const entered = await on(events, 'queueEntered');
    await on(events, 'callbackOffered');
    assert.equal((await caller.info(call, '1')).status, 200);
    for (const d of digits) {
        assert.equal((await caller.info(call, d)).status, 200);
        await sleep(50);
    }
    const requested = await on(events, 'callbackRequested');
    assert.equal(requested.event.data.callId, entered.event.data.callId);
    caller.answer(await caller.next((m) => m.method === 'BYE', 30000)); // goodbye, then hung up
    return {requested: requested.event.data, entered: entered.event.data};
}

/* Answer an INVITE we got, with our SDP; the dialog to hang up with. */
function answerInvite(u, inv, tag) {
    u.answer(inv, 200, 'OK', {toTag: tag, body: u.offer([0, 101])});
    return {uri: /<([^>]+)>/.exec(inv.headers.contact[0])[1], callId: inv.headers['call-id'][0],
            fromTag: tag, toTag: /tag=([^;>\s]+)/.exec(inv.headers.from[0])[1], cseq: 1};
}

test('a caller asks for a callback at another number; the agent is rung, then the number, after a retry', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    const far = await setUp(t, srv);
    const caller = await ua(t, port, '+15559870050');
    // A number no trunk allows is refused; then one that is, read back and confirmed with 1.
    const {requested, entered} = await askForCallback(t, srv, events, caller,
        [...'19005550123#', ...'15559870051#', '1']);
    assert.ok(srv.logs().some((l) => /msg="callback number refused".*digits=19005550123/.test(l)));
    assert.equal(requested.number, '+15559870051');
    assert.equal(requested.caller, '+15559870050');
    // The job waits in line, marked, at the caller's place.
    let job = (await api(srv.url, 'GET', `/v1/router/jobs/${requested.jobId}`, admin)).json;
    assert.ok(['queued', 'offered'].includes(job.state), job.state);
    assert.equal(job.labels.callback, true);
    assert.equal(job.labels.callbackId, requested.callbackId);
    assert.equal(new Date(job.enqueuedAt).getTime(), new Date(entered.enqueuedAt).getTime());
    let list = await api(srv.url, 'GET', '/v1/voice/callbacks?state=waiting', admin);
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.items.map((c) => c.id), [requested.callbackId]);
    assert.equal(list.json.items[0].callId, entered.callId);

    // carol signs in: her phone rings first, showing the callback.
    const carol = await ua(t, port, '1003', 'demo-carol');
    assert.equal((await carol.register()).status, 200);
    await available(srv, 'carol', true);
    const inv1 = await carol.next((m) => m.method === 'INVITE', 20000);
    assert.match(inv1.headers.from[0], /^"?Callback"? <sip:\+15559870051@/);
    answerInvite(carol, inv1, 'carol1');
    const started = await on(events, 'callbackStarted');
    assert.equal(started.event.data.attempt, 1);
    // The carrier is asked for the number; it is busy.
    const out1 = await far.next((m) => m.method === 'INVITE', 10000);
    assert.match(out1.headers.to[0], /sip:\+15559870051@127\.0\.0\.1/);
    assert.match(out1.headers.from[0], /\+15550100/, 'the trunk\'s caller ID');
    far.answer(out1, 486, 'Busy Here', {toTag: 'busy'});
    const failed = await on(events, 'callbackAttemptFailed');
    assert.equal(failed.event.data.counted, true);
    assert.ok(failed.event.data.nextAttemptAt);
    carol.answer(await carol.next((m) => m.method === 'BYE', 10000));
    job = (await api(srv.url, 'GET', `/v1/router/jobs/${requested.jobId}`, admin)).json;
    assert.equal(job.state, 'suspended');

    // retrySeconds later: back in line, carol again, and this time the number answers.
    await on(events, 'callbackRequeued');
    const inv2 = await carol.next((m) => m.method === 'INVITE', 20000);
    const ringing = carol.rtpIn.length;
    answerInvite(carol, inv2, 'carol2');
    const out2 = await far.next((m) => m.method === 'INVITE', 10000);
    far.answer(out2, 180, 'Ringing', {toTag: 'far2'});
    for (let i = 0; i < 100 && carol.rtpIn.length < ringing + 25; i++) await sleep(20);
    assert.ok(carol.rtpIn.length >= ringing + 25, 'carol hears ringback while the number rings');
    const farDialog = answerInvite(far, out2, 'far2');
    const connected = await on(events, 'callbackConnected');
    const attemptCall = connected.event.data.callId;
    // RTP both ways between carol and the number.
    const toCarol = sdpMedia(inv2.body), toFar = sdpMedia(out2.body);
    const carolBefore = carol.rtpIn.length, farBefore = far.rtpIn.length;
    for (let i = 0; i < 25; i++) {
        carol.rtp.send(rtpPacket(i, i * 160, 0xc3, 0, Buffer.alloc(160, 0x11)), toCarol.port, '127.0.0.1');
        far.rtp.send(rtpPacket(i, i * 160, 0xfa, 0, Buffer.alloc(160, 0x22)), toFar.port, '127.0.0.1');
        await sleep(20);
    }
    await sleep(300);
    const heard = (u, from, byte) => u.rtpIn.slice(from).filter((b) => b.subarray(12).every((v) => v === byte)).length;
    assert.ok(heard(far, farBefore, 0x11) >= 15, 'the number hears carol');
    assert.ok(heard(carol, carolBefore, 0x22) >= 15, 'carol hears the number');

    // The number hangs up: carol gets BYE, the job is closed.
    assert.equal((await far.bye(farDialog)).status, 200);
    carol.answer(await carol.next((m) => m.method === 'BYE', 10000));
    await sleep(300);
    job = (await api(srv.url, 'GET', `/v1/router/jobs/${requested.jobId}`, admin)).json;
    assert.ok(['closed', 'completed'].includes(job.state), job.state);
    const cb = (await api(srv.url, 'GET', `/v1/voice/callbacks/${requested.callbackId}`, admin)).json;
    assert.equal(cb.state, 'connected');
    assert.equal(cb.attempts, 2);
    assert.equal(cb.agent, 'carol');
    assert.equal(cb.calls.length, 2);
    assert.equal(cb.calls[1], attemptCall);
    const rec = (await api(srv.url, 'GET', '/v1/calls', admin)).json.items.find((c) => c.id === attemptCall);
    assert.equal(rec.application, 'callback');
    assert.equal(rec.direction, 'outbound');
    assert.equal(rec.target, '+15559870051');
    assert.equal(rec.trunk, 'demo-carrier');
    assert.equal(rec.callerUserId, (await userByName(srv.url, 'carol')).id);
    assert.equal(rec.endedBy, 'callee');
    // carol sees the callbacks she took; other agents none.
    const {login} = await import('./lib/server.js');
    const mine = await api(srv.url, 'GET', '/v1/voice/callbacks', {token: await login(srv.url, 'carol', 'demo-carol')});
    assert.deepEqual(mine.json.items.map((c) => c.id), [requested.callbackId]);
    const bobs = await api(srv.url, 'GET', '/v1/voice/callbacks', {token: await login(srv.url, 'bob', 'demo-bob')});
    assert.deepEqual(bobs.json.items, []);
    assert.equal((await api(srv.url, 'GET', '/v1/voice/callbacks?state=nope', admin)).status, 400);
});

test('callbacks that wait survive a restart; one can be cancelled; one whose number never answers fails', async (t) => {
    const data = makeTempDir(t);
    let srv = await useServer(t, {dataDir: data});
    let events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    await setUp(t, srv, {retries: 0});
    const first = await askForCallback(t, srv, events, await ua(t, srv.sip.port, '+15559870060'), ['1']);
    assert.equal(first.requested.number, '+15559870060', 'the caller ID, confirmed with 1');
    const second = await askForCallback(t, srv, events, await ua(t, srv.sip.port, '+15559870061'), ['#']);
    assert.equal(second.requested.number, '+15559870061', 'the caller ID, confirmed with #');
    events.close();
    await srv.stop();

    srv = await useServer(t, {dataDir: data});
    events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    const waiting = await api(srv.url, 'GET', '/v1/voice/callbacks?state=waiting', admin);
    assert.deepEqual(waiting.json.items.map((c) => c.id), [second.requested.callbackId, first.requested.callbackId]);
    // The older callback is first in line; the newer one is cancelled.
    assert.equal((await api(srv.url, 'DELETE', `/v1/voice/callbacks/${second.requested.callbackId}`, admin)).status, 204);
    assert.equal((await api(srv.url, 'DELETE', `/v1/voice/callbacks/${second.requested.callbackId}`, admin)).status, 409);
    assert.equal((await api(srv.url, 'DELETE', '/v1/voice/callbacks/cb_nosuch', admin)).status, 404);
    let job = (await api(srv.url, 'GET', `/v1/router/jobs/${second.requested.jobId}`, admin)).json;
    assert.equal(job.state, 'cancelled');
    assert.equal(job.disposition, 'callbackCancelled');

    // The carrier moved with the restart's new ports: point the trunk at a new far end.
    const far = await ua(t, srv.sip.port, 'carrier');
    const demo = (await api(srv.url, 'GET', '/v1/voice/trunks/demo-carrier', admin)).json;
    demo.outbound.uri = `sip:127.0.0.1:${far.port}`;
    await put(srv, '/v1/voice/trunks/demo-carrier', demo);
    const carol = await ua(t, srv.sip.port, '1003', 'demo-carol');
    assert.equal((await carol.register()).status, 200);
    await available(srv, 'carol', true);
    const inv = await carol.next((m) => m.method === 'INVITE', 20000);
    assert.match(inv.headers.from[0], /Callback.*\+15559870060/);
    answerInvite(carol, inv, 'carol1');
    // The number does not answer within ringSeconds; with no retries left the callback fails.
    const out = await far.next((m) => m.method === 'INVITE', 10000);
    far.answer(out, 180, 'Ringing', {toTag: 'far1'});
    const failed = await on(events, 'callbackFailed');
    assert.equal(failed.event.data.callbackId, first.requested.callbackId);
    const cancel = await far.next((m) => m.method === 'CANCEL', 10000);
    far.answer(cancel);
    far.answer(out, 487, 'Request Terminated', {toTag: 'far1'});
    carol.answer(await carol.next((m) => m.method === 'BYE', 10000));
    job = (await api(srv.url, 'GET', `/v1/router/jobs/${first.requested.jobId}`, admin)).json;
    assert.equal(job.state, 'cancelled');
    assert.equal(job.disposition, 'callbackFailed');
    const all = (await api(srv.url, 'GET', '/v1/voice/callbacks', admin)).json.items;
    assert.deepEqual(all.map((c) => [c.id, c.state]), [[second.requested.callbackId, 'cancelled'],
                                                       [first.requested.callbackId, 'failed']]);
});

test('the callback settings are checked', async (t) => {
    const srv = await useServer(t);
    const bad = async (callback, re) => {
        const r = await api(srv.url, 'PUT', '/v1/voice/queues/cbq', {...admin, body: {queue: 'support', callback}});
        assert.equal(r.status, 422, r.text);
        assert.match(r.json.error.message, re);
    };
    await bad({}, /afterSeconds.*estimatedWaitOver/);
    await bad({afterSeconds: 30, key: '*'}, /key/);
    await bad({afterSeconds: 30, retrySeconds: 1}, /retrySeconds/);
    await bad({estimatedWaitOver: 60, prompt: {}}, /prompt/);
    await put(srv, '/v1/voice/queues/cbq', {queue: 'support', callback: {estimatedWaitOver: 120, key: '2'}});
});
