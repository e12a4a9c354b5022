// Call queues driven by SIPp as the carrier (docs/voice.md): each of a
// queue's redirect conditions (overflow: a caller already waiting; timeout:
// 5 s waited; no agents: none available on arrival, or the last one
// signing out while callers wait) sends callers to each kind of target
// (disconnect, a person, an attendant, another call queue, an external
// number through the trunk, a shared voicemail box), some after an
// announcement (a 1 s WAV). The people, agents and far carrier are SIPp
// phones that answer, echo and hang up. And a queue's caller is answered
// by a SIPp agent: the call records count the RTP both ways, and the
// queue's recording holds the caller's tone and the agent's echo of it.
// One server; the callers of a condition are one SIPp placing six calls,
// told apart by their numbers; the conditions run at the same time.
import {test, describe, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {writeFileSync} from 'node:fs';
import {startServer, api, makeTempDir, DEMO_API_KEY} from './lib/server.js';
import {requireSipp, sippPhone, startCarrierCalls, assertPassed, trace, messages} from './lib/sipp.js';
import {CallEvents, endedCall} from './lib/callevents.js';
import {putConfig, workerJoins, farCarrier} from './lib/voicesetup.js';
import {parseWav, share, wavBytes} from './lib/audio.js';

requireSipp();

const admin = {apiKey: DEMO_API_KEY};
const EXTERNAL = '+15557770188';
const ANNOUNCEMENT_MS = 1000;
const TIMEOUT_S = 5; // the shortest a queue allows
const ANSWER_MS = 1500; // how long the phones talk before hanging up
const AGENT_MS = 3000; // and carol, the agent whose call is recorded
const TALK = [{tone: 60000}]; // every queue caller: a tone until the end

/* The redirect targets, each with its own queues: "ot-KIND" (overflow
 * after 1 caller, timeout after 5 s) and "na-KIND" (no agents). */
const TARGETS = {
    disconnect: {kind: 'disconnect'},
    person: {kind: 'person', user: 'dave'},
    attendant: {kind: 'attendant', attendant: 'landing'},
    callQueue: {kind: 'callQueue', callQueue: 'landing'},
    external: {kind: 'external', number: EXTERNAL},
    voicemail: {kind: 'voicemail', box: 'qbox'},
};
const KINDS = Object.keys(TARGETS);
/* Our numbers: +1555021N leads to ot-KIND, +1555022N to na-KIND. */
const number = (group, kind) => `+155502${group === 'ot' ? 1 : 2}${KINDS.indexOf(kind)}`;
/* The callers: +155598G0N, G the condition, N the target. */
const CONDITIONS = ['waiting', 'overflow', 'naWaiting', 'naArrival'];
const caller = (condition, kind) => `+155598${CONDITIONS.indexOf(condition)}0${KINDS.indexOf(kind)}`;

let srv, log, annFile;
const phones = {};
const callers = []; // every caller's SIPp, stopped at the end

const put = (path, body) => putConfig(srv, path, body);

async function job(id) {
    const r = await api(srv.url, 'GET', `/v1/router/jobs/${id}`, admin);
    assert.equal(r.status, 200, r.text);
    return r.json;
}

/* One SIPp placing a call from condition's caller to each of the group's
 * queues; resolves with it and the calls' ids by target kind. */
async function callEach(condition, group) {
    const sipp = await startCarrierCalls(srv, KINDS.map((k) => [number(group, k), caller(condition, k)]), TALK);
    callers.push(sipp);
    const ids = {};
    for (const k of KINDS) ids[k] = await log.callOf(caller(condition, k));
    return {sipp, ids};
}

/* Where a redirected call went, checked by the target's kind. */
async function reached(id, kind) {
    const to = await log.wait(id, 'callRedirected');
    assert.deepEqual(to.data.target, TARGETS[kind]);
    const talked = async () => {
        const rec = await endedCall(srv, id, {legs: 2});
        assert.deepEqual([rec.endedBy, rec.endReason], ['callee', 'hangup'], JSON.stringify(rec));
        const far = rec.legs.reduce((a, b) => (b.leg > a.leg ? b : a)); // the newest
        assert.ok(far.rxPackets >= 25 && far.txPackets >= 25, `the far phone talked: ${JSON.stringify(rec.legs)}`);
    };
    switch (kind) {
    case 'disconnect':
        assert.equal((await endedCall(srv, id)).endReason, 'disconnected');
        break;
    case 'attendant':
        await log.wait(id, 'attendantEntered', (e) => e.data.attendant === 'landing');
        assert.equal((await endedCall(srv, id)).endReason, 'disconnected');
        break;
    case 'callQueue': {
        const entered = await log.wait(id, 'queueEntered', (e) => e.data.callQueue === 'landing');
        const answered = await log.wait(id, 'queueAnswered', (e) => e.data.callQueue === 'landing');
        assert.ok(['alice', 'bob'].includes(answered.data.workerId), JSON.stringify(answered.data));
        assert.equal(answered.data.jobId, entered.data.jobId);
        await talked();
        break;
    }
    case 'voicemail': {
        const left = await log.wait(id, 'voicemailLeft', () => true, 30000);
        assert.equal(left.data.box, 'qbox');
        // A tone the whole time: the box's 5 s maximum ends the message.
        assert.ok(left.data.durationMs >= 4500 && left.data.durationMs <= 5500, JSON.stringify(left.data));
        assert.equal((await endedCall(srv, id)).endReason, 'application done');
        break;
    }
    default: // person, external: a SIPp phone answered
        await talked();
    }
}

/* Whether the call ever waited in call queue q. */
const queued = (id, q) => log.of(id).some((e) => e.type === 'queueEntered' && e.data.callQueue === q);

/* The queueRedirected event of a call, and the announcement before the
 * target (its 1 s at least between the two events) when the rule has one. */
async function redirected(id, reason, {announced}) {
    const r = await log.wait(id, 'queueRedirected');
    assert.equal(r.data.reason, reason, JSON.stringify(r.data));
    const to = await log.wait(id, 'callRedirected');
    assert.equal(to.data.from, 'queue');
    if (announced) {
        const gap = Date.parse(to.time) - Date.parse(r.time);
        assert.ok(gap >= ANNOUNCEMENT_MS - 100, `the target came ${gap} ms after the redirect: no announcement?`);
    }
    return r;
}

let waiters; // the first caller of each ot- queue, waiting
let naWaiters; // the callers of the na- queues who came while an agent was there
let signedOut; // once the na- queues' agent has signed out

describe('call queue redirects to every kind of target, callers by SIPp', {concurrency: true}, () => {
    before(async () => {
        srv = await startServer();
        log = await CallEvents.open(srv);
        annFile = join(makeTempDir(null, 'sb-ann-'), 'sorry.wav');
        writeFileSync(annFile, wavBytes(Array.from({length: 8 * ANNOUNCEMENT_MS},
                                                   (_, i) => 6000 * Math.sin((2 * Math.PI * 600 * i) / 8000))));
        // Router queues: waitq and naq, whose agents have no phone; landing
        // and agents, answered by SIPp phones.
        for (const q of ['waitq', 'naq', 'landing', 'agents'])
            await put(`/v1/router/queues/${q}`, {distributionPolicyId: 'longest-idle'});
        const voice = [{channelId: 'voice', capacityCostPerJob: 100, maxNumberOfJobs: 1}];
        await put('/v1/router/workers/waitw', {capacity: 100, available: true, queues: ['waitq'], channels: voice});
        await put('/v1/router/workers/naw', {capacity: 100, available: true, queues: ['naq'], channels: voice});
        for (const [w, q] of [['alice', 'landing'], ['bob', 'landing'], ['carol', 'agents']]) await workerJoins(srv, w, q);
        await put('/v1/voice/queues/landing', {queue: 'landing'});
        await put('/v1/voice/attendants/landing', {open: {greeting: {text: 'Attendant.'}, target: {kind: 'disconnect'}}});
        await put('/v1/voice/voicemail-boxes/qbox', {name: 'Queue box', members: ['maria'],
            greeting: {text: 'Leave a message.'}, maxMessageSeconds: 5});
        const announcement = {file: annFile};
        for (const [kind, target] of Object.entries(TARGETS)) {
            await put(`/v1/voice/queues/ot-${kind}`, {queue: 'waitq',
                overflow: {callers: 1, announcement, target}, timeout: {seconds: TIMEOUT_S, target}});
            await put(`/v1/voice/queues/na-${kind}`, {queue: 'naq', noAgents: {announcement, target}});
            await put(`/v1/voice/numbers/${number('ot', kind)}`, {target: {kind: 'callQueue', callQueue: `ot-${kind}`}});
            await put(`/v1/voice/numbers/${number('na', kind)}`, {target: {kind: 'callQueue', callQueue: `na-${kind}`}});
        }
        await put('/v1/voice/queues/agents', {queue: 'agents', recording: 'always'});
        await put('/v1/voice/numbers/+15550230', {target: {kind: 'callQueue', callQueue: 'agents'}});
        // Each condition sends one caller to the person, the landing queue
        // and the far carrier: four calls each.
        const answer = {pauseMs: ANSWER_MS, calls: 4};
        phones.dave = await sippPhone(srv, [['1004', '1004', 'demo-dave']], 'uas_answer_bye.xml', answer);
        phones.landing = await sippPhone(srv, [['1001', '1001', 'demo-alice'], ['1002', '1002', 'demo-bob']],
                                         'uas_answer_bye.xml', answer);
        phones.far = await farCarrier(srv, 'uas_answer_bye.xml', answer);
        phones.carol = await sippPhone(srv, [['1003', 'carol', 'demo-carol']], 'uas_answer_bye.xml',
                                       {pauseMs: AGENT_MS});

        // Callers who wait in every queue: the ot- queues' first callers,
        // and the na- queues' while their agent is still available.
        waiters = callEach('waiting', 'ot');
        naWaiters = callEach('naWaiting', 'na');
        signedOut = (async () => {
            const {ids} = await naWaiters;
            for (const k of KINDS) await log.wait(ids[k], 'queueEntered');
            const r = await api(srv.url, 'POST', '/v1/router/workers/naw/availability', {...admin,
                body: {available: false, reason: 'signed out'}});
            assert.equal(r.status, 200, r.text);
        })();
        for (const p of [waiters, naWaiters, signedOut]) p.catch(() => {}); // the tests report it
    });

    after(async () => {
        for (const p of [...Object.values(phones), ...callers]) await p.kill();
        await log?.close();
        await srv?.close();
    });

    /* The callers of condition, sent on as they arrive: never queued. */
    async function sentOnArrival(condition, group, reason) {
        const {sipp, ids} = await callEach(condition, group);
        await Promise.all(KINDS.map(async (k) => {
            const r = await redirected(ids[k], reason, {announced: true});
            assert.ok(r.data.waitedMs < 100, 'on arrival');
            assert.ok(!queued(ids[k], `${group}-${k}`), 'never queued');
            await reached(ids[k], k);
        }));
        assertPassed(await sipp.done);
    }

    /* Callers who waited (a router job each), sent on for reason: the job
     * is cancelled with it as disposition. */
    async function sentWhileWaiting({sipp, ids}, reason, {announced, waitedMs = 0}) {
        await Promise.all(KINDS.map(async (k) => {
            const entered = await log.wait(ids[k], 'queueEntered');
            const r = await redirected(ids[k], reason, {announced});
            assert.ok(r.data.waitedMs >= waitedMs, JSON.stringify(r.data));
            const j = await job(entered.data.jobId);
            assert.deepEqual([j.state, j.disposition], ['cancelled', reason]);
            await reached(ids[k], k);
        }));
        assertPassed(await sipp.done);
    }

    test('overflow: with one caller waiting, the next goes to the target after the announcement', async () => {
        const first = await waiters;
        for (const k of KINDS) await log.wait(first.ids[k], 'queueEntered');
        await sentOnArrival('overflow', 'ot', 'overflow');
    });

    test('timeout: the waiting callers go to the target after 5 s', async () => {
        await sentWhileWaiting(await waiters, 'timeout', {announced: false, waitedMs: TIMEOUT_S * 1000});
    });

    test('no agents while waiting: the last agent signs out, the callers go to the target', async () => {
        const callers = await naWaiters;
        await signedOut;
        await sentWhileWaiting(callers, 'noAgents', {announced: true});
    });

    test('no agents on arrival: the callers never queue, they go to the target', async () => {
        await signedOut;
        await sentOnArrival('naArrival', 'na', 'noAgents');
    });

    test('a SIPp agent answers a queue call: RTP both ways, and the recording has both sides', async () => {
        const from = '+15559889001';
        const sipp = await startCarrierCalls(srv, [['+15550230', from]], TALK);
        callers.push(sipp);
        const id = await log.callOf(from);
        const answered = await log.wait(id, 'queueAnswered');
        assert.equal(answered.data.workerId, 'carol');
        const c = await phones.carol.done;
        assertPassed(c); // she hung up after AGENT_MS
        assertPassed(await sipp.done); // and the caller got BYE
        const inv = messages(c, 'received').find((m) => /^INVITE /.test(m));
        assert.match(inv, new RegExp(`^From:.*sip:\\${from}@`, 'm'), trace(c));
        const rec = await endedCall(srv, id, {legs: 2});
        assert.deepEqual([rec.endedBy, rec.endReason], ['callee', 'hangup']);
        // carol's leg: the caller's tone sent to her, her echo of it back.
        const [callerLeg, agentLeg] = rec.legs.sort((a, b) => a.leg - b.leg);
        const talk = (AGENT_MS / 20) * 0.8;
        assert.ok(agentLeg.txPackets >= talk && agentLeg.rxPackets >= talk, JSON.stringify(rec.legs));
        assert.ok(callerLeg.rxPackets >= agentLeg.txPackets, JSON.stringify(rec.legs));
        // Recorded from the answer: left the caller's tone, right what the
        // caller heard: carol's echo of the same tone.
        await log.wait(id, 'callRecorded');
        const wav = await fetch(`${srv.url}/v1/calls/${id}/recording`, {headers: {authorization: `Bearer ${DEMO_API_KEY}`}});
        assert.equal(wav.status, 200);
        const {fmt, left, right} = parseWav(Buffer.from(await wav.arrayBuffer()));
        assert.equal(fmt.channels, 2);
        assert.ok(left.length >= 8 * 2000, `${left.length / 8} ms recorded`);
        const mid = (ch) => ch.slice(Math.floor(ch.length / 4), Math.floor((ch.length * 3) / 4));
        assert.ok(share(mid(left), 440) > 0.5, `the caller's tone (${share(mid(left), 440).toFixed(2)})`);
        assert.ok(share(mid(right), 440) > 0.5, `the agent's echo (${share(mid(right), 440).toFixed(2)})`);
    });
});
