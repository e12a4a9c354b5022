// A call queue's post-call survey (docs/voice.md, docs/reporting.md): when
// the agent hangs up first, the caller stays on the line, is asked to rate
// the call with a key from 1 to 5, is thanked and hung up; the answer is in
// the satisfaction report, for the queue and the agent. The agent is free
// (the job closed) as soon as they hang up. A wrong key gets the question
// again; no key at all ends the call without an answer.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {useServer, sleep, api, DEMO_API_KEY} from './lib/server.js';
import {SipUA, sdpMedia, dtmfPackets} from './lib/sipua.js';
import {EventStream} from './lib/ws.js';

const admin = {apiKey: DEMO_API_KEY};

async function put(srv, path, body) {
    const r = await api(srv.url, 'PUT', path, {...admin, body});
    assert.ok([200, 201].includes(r.status), `PUT ${path}: ${r.status} ${r.text}`);
}

/* A queue on router queue support that asks for a rating, on +15550150. */
async function ratedQueue(srv, survey) {
    await put(srv, '/v1/voice/queues/rated', {queue: 'support', survey});
    await put(srv, '/v1/voice/numbers/+15550150', {target: {kind: 'callQueue', callQueue: 'rated'}});
}

/* carol's phone, answering by itself; the other support agents signed out. */
async function carolAnswers(t, srv) {
    for (const w of ['alice', 'dave']) {
        const r = await api(srv.url, 'POST', `/v1/router/workers/${w}/availability`,
                            {...admin, body: {available: false, reason: 'test'}});
        assert.equal(r.status, 200, r.text);
    }
    const carol = await SipUA.open({port: srv.sip.port, user: '1003', password: 'demo-carol'});
    t.after(() => carol.close());
    assert.equal((await carol.register()).status, 200);
    carol.autoAnswer();
    return carol;
}

/* The agent hangs up: a BYE within the dialog its phone answered. */
function calleeBye(ua, invite) {
    const fromTag = /tag=([^;>\s]+)/.exec(invite.headers.from[0])[1];
    const contact = /<([^>]+)>/.exec(invite.headers.contact[0])[1];
    ua.request('BYE', contact, {callId: invite.headers['call-id'][0], fromTag: `t-${ua.user}`, toTag: fromTag,
                                cseq: 1});
}

/* Press a key the way phones do: RFC 4733 events on the call's RTP. */
async function press(ua, media, digit, seq) {
    for (const p of dtmfPackets(digit, seq, seq * 160, 0x5151)) {
        ua.rtp.send(p, media.port, '127.0.0.1');
        await sleep(20);
    }
}

async function placeCall(t, srv, user) {
    const caller = await SipUA.open({port: srv.sip.port, user});
    t.after(() => caller.close());
    const {res, call} = await caller.invite(`sip:+15550150@127.0.0.1:${srv.sip.port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    caller.ack(call);
    return {caller, call, media: sdpMedia(res.body)};
}

const eventOf = (events, type, pred = () => true, timeoutMs = 20000) =>
    events.next((m) => m.type === 'event' && m.event.type === type && pred(m.event), {timeoutMs})
        .then((m) => m.event);

test('the agent hangs up, the caller presses 4: the satisfaction report has it', async (t) => {
    const srv = await useServer(t);
    const events = await EventStream.open(srv.url, {...admin, query: {topics: 'calls,reports,router'}});
    t.after(() => events.close());
    await ratedQueue(srv, {prompt: {text: 'Please rate this call from 1 to 5.'}, seconds: 10});
    const carol = await carolAnswers(t, srv);
    const {caller, call, media} = await placeCall(t, srv, '+15559870050');

    const answered = await eventOf(events, 'queueAnswered');
    assert.equal(answered.data.workerId, 'carol');
    const callId = answered.subject;
    const invite = carol.seen.find((m) => m.method === 'INVITE');
    await sleep(300);

    // carol hangs up first: her job closes, the caller is kept and asked.
    calleeBye(carol, invite);
    const bye = await carol.next((m) => m.status === 200, 5000);
    assert.match(bye.headers.cseq[0], /BYE/);
    const started = await eventOf(events, 'surveyStarted');
    assert.equal(started.subject, callId);
    assert.equal(started.data.queueId, 'support');
    await eventOf(events, 'jobClosed', (e) => e.data.jobId === answered.data.jobId, 5000);
    const heardBefore = caller.rtpIn.length;
    for (let i = 0; i < 100 && caller.rtpIn.length < heardBefore + 25; i++) await sleep(50);
    assert.ok(caller.rtpIn.length >= heardBefore + 25, 'the caller hears the question');
    assert.equal(caller.inbox.filter((m) => m.method === 'BYE').length, 0, 'the caller is still on the line');

    await press(caller, media, '4', 1000);
    const answer = await eventOf(events, 'surveyAnswered');
    assert.equal(answer.data.callId, callId);
    assert.equal(answer.data.score, 4);
    assert.equal(answer.data.channel, 'voice');
    assert.equal(answer.data.queueId, 'support');
    assert.equal(answer.data.workerId, 'carol');

    // Thanked, then hung up.
    caller.answer(await caller.next((m) => m.method === 'BYE', 20000));
    const ended = await eventOf(events, 'callEnded', (e) => e.subject === callId, 5000);
    assert.equal(ended.data.reason, 'survey answered');

    const sat = await api(srv.url, 'GET', '/v1/reports/satisfaction', admin);
    assert.equal(sat.status, 200, sat.text);
    const row = sat.json.rows.find((r) => r.queueId === 'support' && r.channel === 'voice');
    assert.ok(row, JSON.stringify(sat.json.rows));
    assert.equal(row.responses, 1);
    assert.equal(row.avgScore, 4);
    assert.equal(row.scores['4'], 1);
    const byAgent = await api(srv.url, 'GET', '/v1/reports/satisfaction?by=agent', admin);
    assert.ok(byAgent.json.rows.some((r) => r.workerId === 'carol' && r.responses === 1 && r.avgScore === 4),
              JSON.stringify(byAgent.json.rows));
    // The agent was free all along: available, nothing assigned.
    const w = (await api(srv.url, 'GET', '/v1/router/workers/carol', admin)).json;
    assert.equal(w.assignments.length, 0);
});

test('a wrong key gets the question again; no key ends the call without an answer', async (t) => {
    const srv = await useServer(t);
    const events = await EventStream.open(srv.url, {...admin, query: {topics: 'calls,reports'}});
    t.after(() => events.close());
    await ratedQueue(srv, {prompt: {text: 'Rate us.'}, invalid: {text: 'One to five, please.'}, seconds: 3});
    const carol = await carolAnswers(t, srv);
    const {caller, media} = await placeCall(t, srv, '+15559870051');
    const answered = await eventOf(events, 'queueAnswered');
    await sleep(300);
    calleeBye(carol, carol.seen.find((m) => m.method === 'INVITE'));
    await eventOf(events, 'surveyStarted');
    await sleep(500);
    await press(caller, media, '9', 2000);
    caller.answer(await caller.next((m) => m.method === 'BYE', 30000));
    const ended = await eventOf(events, 'callEnded', (e) => e.subject === answered.subject, 5000);
    assert.equal(ended.data.reason, 'survey not answered');
    assert.ok(!events.messages.some((m) => m.event?.type === 'surveyAnswered'), 'no answer recorded');
    assert.ok(srv.logs().some((l) => /survey key not from 1 to 5.*key=9/.test(l)), 'the 9 was heard and refused');
});

test('the caller hanging up first gets no survey; a bad survey is refused', async (t) => {
    const srv = await useServer(t);
    const events = await EventStream.open(srv.url, {...admin, query: {topics: 'calls'}});
    t.after(() => events.close());
    let r = await api(srv.url, 'PUT', '/v1/voice/queues/bad', {...admin, body: {queue: 'support', survey: {prompt: {}}}});
    assert.equal(r.status, 422, r.text);
    assert.match(r.text, /survey\.prompt/);
    r = await api(srv.url, 'PUT', '/v1/voice/queues/bad', {...admin, body: {queue: 'support', survey: {seconds: 1}}});
    assert.equal(r.status, 422, r.text);
    await ratedQueue(srv, {});
    const carol = await carolAnswers(t, srv);
    const {caller, call} = await placeCall(t, srv, '+15559870052');
    const answered = await eventOf(events, 'queueAnswered');
    await sleep(300);
    assert.equal((await caller.bye(call)).status, 200);
    const ended = await eventOf(events, 'callEnded', (e) => e.subject === answered.subject, 5000);
    assert.equal(ended.data.endedBy, 'caller');
    assert.ok(!events.messages.some((m) => m.event?.type === 'surveyStarted'), 'no survey');
});
