// Call queues (docs/voice.md): a carrier's call to a queue's number is
// answered, hears music on hold, and waits as a job on the router's voice
// channel; each offer rings the agent's phones; an agent without a phone
// or refusing is passed over; the agent answering is bridged with the
// caller (audio both ways) and the job is assigned, then closed at the
// hang-up; a caller hanging up while waiting abandons the job.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {useServer, sleep, api, DEMO_API_KEY} from './lib/server.js';
import {SipUA, sdpMedia, rtpPacket} from './lib/sipua.js';
import {EventStream} from './lib/ws.js';

const admin = {apiKey: DEMO_API_KEY};

async function agentPhone(t, port, user, password) {
    const ua = await SipUA.open({port, user, password});
    t.after(() => ua.close());
    assert.equal((await ua.register()).status, 200);
    return ua;
}

async function job(srv, id) {
    const r = await api(srv.url, 'GET', `/v1/router/jobs/${id}`, admin);
    assert.equal(r.status, 200, r.text);
    return r.json;
}

const queueEvent = (events, type) =>
    events.next((m) => m.type === 'event' && m.event.type === type, {timeoutMs: 15000});

test('a queued caller hears music, the agent who answers is bridged, the job follows the call', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    // support is served by alice, carol (voice) and dave (chat only). Only
    // carol has a phone registered: an offer to alice is passed over.
    const carol = await agentPhone(t, port, '1003', 'demo-carol');
    const caller = await SipUA.open({port, user: '+15559870001'});
    t.after(() => caller.close());
    const {res, call} = await caller.invite(`sip:+15550102@127.0.0.1:${port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    caller.ack(call);
    const toCaller = sdpMedia(res.body);
    const entered = await queueEvent(events, 'queueEntered');
    assert.equal(entered.event.data.callQueue, 'support');
    const jobId = entered.event.data.jobId;
    assert.equal((await job(srv, jobId)).channelId, 'voice');

    // carol's phone rings (as the caller); meanwhile the caller hears the
    // greeting and the music.
    const inv = await carol.next((m) => m.method === 'INVITE', 20000);
    assert.match(inv.headers.from[0], /15559870001/);
    for (let i = 0; i < 100 && caller.rtpIn.length <= 20; i++) await sleep(50);
    assert.ok(caller.rtpIn.length > 20, `the caller hears the queue (${caller.rtpIn.length} packets)`);
    carol.answer(inv, 180, 'Ringing', {toTag: 'carol'});
    await sleep(200);
    carol.answer(inv, 200, 'OK', {toTag: 'carol', body: carol.offer([0, 101])});
    const answered = await queueEvent(events, 'queueAnswered');
    assert.equal(answered.event.data.workerId, 'carol');
    assert.ok(answered.event.data.waitedMs > 0);
    const toCarol = sdpMedia(inv.body);
    await sleep(200);
    const before = caller.rtpIn.length;
    for (let i = 0; i < 25; i++) {
        caller.rtp.send(rtpPacket(i, i * 160, 0xc1, 0, Buffer.alloc(160, 0x5a)), toCaller.port, '127.0.0.1');
        carol.rtp.send(rtpPacket(i, i * 160, 0xc2, 0, Buffer.alloc(160, 0x6b)), toCarol.port, '127.0.0.1');
        await sleep(20);
    }
    await sleep(300);
    const heard = (ua, from, byte) => ua.rtpIn.slice(from).filter((b) => b.subarray(12).every((v) => v === byte)).length;
    assert.ok(heard(carol, 0, 0x5a) >= 15, 'carol hears the caller');
    assert.ok(heard(caller, before, 0x6b) >= 15, 'the caller hears carol, not the music');
    const assigned = await job(srv, jobId);
    assert.equal(assigned.state, 'assigned');

    // The caller hangs up: carol gets BYE, the job is closed.
    assert.equal((await caller.bye(call)).status, 200);
    carol.answer(await carol.next((m) => m.method === 'BYE', 5000));
    await sleep(300);
    const closed = await job(srv, jobId);
    assert.ok(['closed', 'completed'].includes(closed.state), closed.state);
    const rec = (await api(srv.url, 'GET', '/v1/calls', admin)).json.items[0];
    assert.equal(rec.application, 'queue');
    assert.equal(rec.direction, 'inbound');
    assert.ok(srv.logs().some((l) => /queue offer declined.*worker=alice.*no phone registered/.test(l)) ||
              srv.logs().every((l) => !/worker=alice/.test(l)), 'alice, without a phone, was passed over or never offered');
});

test('an agent who refuses is passed over; a caller who hangs up abandons the job', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls,router'}});
    t.after(() => events.close());
    // sales: alice and bob. Both have phones; whoever is offered first refuses.
    const alice = await agentPhone(t, port, '1001', 'demo-alice');
    const bob = await agentPhone(t, port, '1002', 'demo-bob');
    const caller = await SipUA.open({port, user: '+15559870002'});
    t.after(() => caller.close());
    const {res, call} = await caller.invite(`sip:+15550101@127.0.0.1:${port}`);
    assert.equal(res.status, 200);
    caller.ack(call);
    const first = await Promise.race([
        alice.next((m) => m.method === 'INVITE', 20000).then((m) => ({ua: alice, m, other: bob})),
        bob.next((m) => m.method === 'INVITE', 20000).then((m) => ({ua: bob, m, other: alice})),
    ]);
    first.ua.answer(first.m, 486, 'Busy Here', {toTag: 'busy'});
    // The other agent's phone rings next.
    const second = await first.other.next((m) => m.method === 'INVITE', 20000);
    first.other.answer(second, 180, 'Ringing', {toTag: 'late'});
    const declined = await events.next((m) => m.type === 'event' && m.event.type === 'offerDeclined', {timeoutMs: 5000});
    assert.ok(declined);
    // The caller gives up before anyone answers.
    assert.equal((await caller.bye(call)).status, 200);
    const cancel = await first.other.next((m) => m.method === 'CANCEL', 5000);
    first.other.answer(cancel);
    first.other.answer(second, 487, 'Request Terminated', {toTag: 'late'});
    const abandoned = await queueEvent(events, 'queueAbandoned');
    const j = await job(srv, abandoned.event.data.jobId);
    assert.equal(j.state, 'cancelled');
    assert.equal(j.disposition, 'abandoned');
});

test('call queues through the API: validation and use', async (t) => {
    const srv = await useServer(t);
    const put = (path, body) => api(srv.url, 'PUT', path, {...admin, body});
    let r = await put('/v1/voice/queues/q1', {queue: 'nope'});
    assert.equal(r.status, 422);
    assert.match(r.json.error.message, /no router queue/);
    r = await put('/v1/voice/queues/q1', {queue: 'support', greeting: {}});
    assert.equal(r.status, 422);
    r = await put('/v1/voice/queues/q1', {queue: 'support', greeting: {text: 'Hello.'}, musicOnHold: '/tmp/none.wav'});
    assert.equal(r.status, 201, r.text);
    r = await put('/v1/voice/numbers/+15550111', {target: {kind: 'callQueue', callQueue: 'q2'}});
    assert.equal(r.status, 422);
    assert.match(r.json.error.message, /no call queue/);
    r = await put('/v1/voice/numbers/+15550111', {target: {kind: 'callQueue', callQueue: 'q1'}});
    assert.equal(r.status, 201, r.text);
    assert.equal((await api(srv.url, 'DELETE', '/v1/voice/queues/q1', admin)).status, 409);
    const list = await api(srv.url, 'GET', '/v1/voice/queues', admin);
    assert.deepEqual(list.json.items.map((q) => q.id), ['q1', 'sales', 'support']);
});

test('overflow, timeout and no agents send callers on, each with its announcement', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    const put = async (path, body) => {
        const r = await api(srv.url, 'PUT', path, {...admin, body});
        assert.ok([200, 201].includes(r.status), `${path}: ${r.status} ${r.text}`);
    };
    // A router queue whose only agent is signed out; and support, whose agents have no phones here.
    await put('/v1/router/queues/empty', {distributionPolicyId: 'longest-idle'});
    await put('/v1/router/workers/ghost', {capacity: 100, available: false, queues: ['empty'],
        channels: [{channelId: 'voice', capacityCostPerJob: 100, maxNumberOfJobs: 1}]});
    await put('/v1/voice/queues/nobody', {queue: 'empty',
        noAgents: {announcement: {text: 'Nobody is here.'}, target: {kind: 'announcement', text: 'Goodbye.'}}});
    await put('/v1/voice/queues/brief', {queue: 'support', timeout: {seconds: 5, target: {kind: 'disconnect'}},
        overflow: {callers: 1, target: {kind: 'disconnect'}}});
    await put('/v1/voice/numbers/+15550130', {target: {kind: 'callQueue', callQueue: 'nobody'}});
    await put('/v1/voice/numbers/+15550131', {target: {kind: 'callQueue', callQueue: 'brief'}});
    const dial = async (number, user) => {
        const ua = await SipUA.open({port, user});
        t.after(() => ua.close());
        const {res, call} = await ua.invite(`sip:${number}@127.0.0.1:${port}`);
        assert.equal(res.status, 200);
        ua.ack(call);
        return ua;
    };
    const redirected = (reason) => events.next((m) => m.type === 'event' && m.event.type === 'queueRedirected' &&
                                                   m.event.data.reason === reason, {timeoutMs: 20000});

    // No agents on arrival: the announcement, then the target (another announcement), then BYE.
    const a = await dial('+15550130', '+15559870010');
    const na = await redirected('noAgents');
    assert.equal(na.event.data.target, 'announcement');
    a.answer(await a.next((m) => m.method === 'BYE', 20000));
    assert.ok(a.rtpIn.length > 20, 'both announcements were heard');

    // The first caller waits; a second one overflows at once.
    const first = await dial('+15550131', '+15559870011');
    const entered = await events.next((m) => m.type === 'event' && m.event.type === 'queueEntered', {timeoutMs: 5000});
    const second = await dial('+15550131', '+15559870012');
    await redirected('overflow');
    second.answer(await second.next((m) => m.method === 'BYE', 10000));
    // The first times out after 5 s: disconnected, the job cancelled as "timeout".
    const to = await redirected('timeout');
    assert.ok(to.event.data.waitedMs >= 4500, `waited ${to.event.data.waitedMs} ms`);
    first.answer(await first.next((m) => m.method === 'BYE', 10000));
    await sleep(200);
    const j = (await api(srv.url, 'GET', `/v1/router/jobs/${entered.event.data.jobId}`, admin)).json;
    assert.equal(j.state, 'cancelled');
    assert.equal(j.disposition, 'timeout');

    // Rules are checked when saved.
    const bad = await api(srv.url, 'PUT', '/v1/voice/queues/bad', {...admin,
        body: {queue: 'support', overflow: {target: {kind: 'person'}}}});
    assert.equal(bad.status, 422);
    assert.match(bad.json.error.message, /overflow: needs "callers"|overflow.target/);
});

test('a queue that records every call: notice, stereo recording from the answer, list and delete', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    const put = async (path, body) => {
        const r = await api(srv.url, 'PUT', path, {...admin, body});
        assert.ok([200, 201].includes(r.status), `${path}: ${r.status} ${r.text}`);
    };
    await put('/v1/voice/queues/recorded', {queue: 'support', recording: 'always',
        recordingAnnouncement: {text: 'This call may be recorded.'}});
    await put('/v1/voice/queues/private', {queue: 'support', recording: 'never'});
    await put('/v1/voice/numbers/+15550140', {target: {kind: 'callQueue', callQueue: 'recorded'}});
    await put('/v1/voice/numbers/+15550141', {target: {kind: 'callQueue', callQueue: 'private'}});
    const carol = await agentPhone(t, port, '1003', 'demo-carol');
    carol.autoAnswer();
    const caller = await SipUA.open({port, user: '+15559870020'});
    t.after(() => caller.close());
    const {res, call} = await caller.invite(`sip:+15550140@127.0.0.1:${port}`);
    assert.equal(res.status, 200);
    caller.ack(call);
    const started = await queueEvent(events, 'callRecordingStarted');
    const callId = started.event.subject;
    await sleep(1200);
    assert.equal((await caller.bye(call)).status, 200);
    const done = await queueEvent(events, 'callRecorded');
    assert.equal(done.event.data.state, 'done');
    const list = await api(srv.url, 'GET', '/v1/recordings', admin);
    assert.equal(list.status, 200);
    const item = list.json.items.find((i) => i.callId === callId);
    assert.ok(item && item.state === 'done', JSON.stringify(list.json));
    assert.equal(item.callQueue, 'recorded');
    assert.equal(item.startedBy, 'queue');
    assert.deepEqual(item.channels, {count: 2, left: 'caller', right: 'agent'});
    assert.equal(item.agent, 'carol');
    assert.equal(item.caller, '+15559870020');
    const wav = await fetch(`${srv.url}/v1/calls/${callId}/recording`, {headers: {authorization: `Bearer ${DEMO_API_KEY}`}});
    assert.equal(wav.status, 200);
    const buf = Buffer.from(await wav.arrayBuffer());
    assert.equal(buf.readUInt16LE(22), 2, 'stereo: caller and agent');
    assert.equal((await api(srv.url, 'DELETE', `/v1/recordings/${callId}`, admin)).status, 204);
    assert.equal((await fetch(`${srv.url}/v1/calls/${callId}/recording`, {headers: {authorization: `Bearer ${DEMO_API_KEY}`}})).status, 404);
    assert.equal((await api(srv.url, 'DELETE', `/v1/recordings/${callId}`, admin)).status, 404);

    // A queue that never records refuses the on-demand recording.
    const second = await SipUA.open({port, user: '+15559870021'});
    t.after(() => second.close());
    const c2 = await second.invite(`sip:+15550141@127.0.0.1:${port}`);
    assert.equal(c2.res.status, 200);
    second.ack(c2.call);
    const entered = await events.next((m) => m.type === 'event' && m.event.type === 'queueEntered' &&
                                           m.event.data.callQueue === 'private', {timeoutMs: 10000});
    const r = await api(srv.url, 'POST', `/v1/calls/${entered.event.data.callId}/recording`, admin);
    assert.equal(r.status, 409, r.text);
    assert.equal((await second.bye(c2.call)).status, 200);
});

test('a caller sent away from a queue and led back keeps their place in line', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    const put = async (path, body) => {
        const r = await api(srv.url, 'PUT', path, {...admin, body});
        assert.ok([200, 201].includes(r.status), `${path}: ${r.status} ${r.text}`);
    };
    // Nobody answers support here (no phone registered). "brief" times out
    // after 5 s into an attendant whose key 1 leads back to it.
    await put('/v1/voice/queues/brief', {queue: 'support', greeting: {text: 'Please hold.'}});
    await put('/v1/voice/attendants/back', {open: {menu: {prompt: {text: 'To keep waiting, press 1.'},
        options: [{key: '1', target: {kind: 'callQueue', callQueue: 'brief'}}], inputSeconds: 20}}});
    await put('/v1/voice/queues/brief', {queue: 'support', greeting: {text: 'Please hold.'},
        timeout: {seconds: 5, target: {kind: 'attendant', attendant: 'back'}}});
    await put('/v1/voice/numbers/+15550132', {target: {kind: 'callQueue', callQueue: 'brief'}});
    await put('/v1/voice/numbers/+15550133', {target: {kind: 'callQueue', callQueue: 'support'}});
    const dial = async (number, user) => {
        const ua = await SipUA.open({port, user});
        t.after(() => ua.close());
        const {res, call} = await ua.invite(`sip:${number}@127.0.0.1:${port}`);
        assert.equal(res.status, 200);
        ua.ack(call);
        return {ua, call};
    };
    const entered = (callQueue) => events.next((m) => m.type === 'event' && m.event.type === 'queueEntered' &&
                                                   m.event.data.callQueue === callQueue, {timeoutMs: 20000});
    const first = await dial('+15550132', '+15559870030');
    const stay1 = await entered('brief');
    assert.equal(stay1.event.data.placeKept, undefined);
    // A second caller joins the same router queue after the first.
    await sleep(100);
    const second = await dial('+15550133', '+15559870031');
    const other = await entered('support');
    // The first caller times out into the attendant, and presses 1.
    await events.next((m) => m.type === 'event' && m.event.type === 'queueRedirected' &&
                              m.event.data.reason === 'timeout', {timeoutMs: 20000});
    await events.next((m) => m.type === 'event' && m.event.type === 'attendantEntered', {timeoutMs: 10000});
    assert.equal((await first.ua.info(first.call, '1')).status, 200);
    const stay2 = await entered('brief');
    assert.equal(stay2.event.data.placeKept, true);
    assert.equal(stay2.event.data.enqueuedAt, stay1.event.data.enqueuedAt);
    assert.notEqual(stay2.event.data.jobId, stay1.event.data.jobId);
    const job1 = await job(srv, stay1.event.data.jobId);
    assert.equal(job1.state, 'cancelled');
    assert.equal(job1.disposition, 'timeout');
    const back = await job(srv, stay2.event.data.jobId);
    const later = await job(srv, other.event.data.jobId);
    assert.ok(back.enqueuedAt < later.enqueuedAt, `${back.enqueuedAt} before ${later.enqueuedAt}`);
    const line = await api(srv.url, 'GET', '/v1/router/jobs?queueId=support&state=queued', admin);
    const ids = line.json.items.map((j) => j.id);
    assert.ok(ids.indexOf(back.id) >= 0 && ids.indexOf(back.id) < ids.indexOf(later.id),
              `the returning caller is ahead: ${ids}`);
    assert.equal((await first.ua.bye(first.call)).status, 200);
    assert.equal((await second.ua.bye(second.call)).status, 200);
});
