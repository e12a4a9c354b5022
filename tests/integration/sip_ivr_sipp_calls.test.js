// What agents do with a call, every phone a SIPp (docs/voice.md): the
// carrier's caller (SIPp from 127.0.0.1, a tone) reaches an agent's SIPp
// phone through one of our numbers; the agent parks the caller with a
// transfer to *7 and someone dialling the orbit takes the call over; a
// manager records the call through the API; the agent transfers the caller
// blind (REFER to another extension), or attended (first calling the
// target on a second line, then REFER with Replaces naming that call).
// Checked: the events, what each SIPp got, the call records' RTP figures,
// the recording's audio. One server; the tests run at the same time, each
// with its own people.
import {test, describe, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {startServer, api, login, userByName, sleep, DEMO_API_KEY} from './lib/server.js';
import {
    requireSipp, startSipp, sippPhone, startCarrierCalls, freePort, freeMediaPort, assertPassed, trace, messages,
    messagesSoFar, statuses,
} from './lib/sipp.js';
import {CallEvents, endedCall} from './lib/callevents.js';
import {putConfig} from './lib/voicesetup.js';
import {toneRtp, rtpPcap} from './lib/pcap.js';
import {parseWav, share} from './lib/audio.js';

requireSipp();

const admin = {apiKey: DEMO_API_KEY};
const TONE = [{tone: 30000}]; // the caller's side: a 440 Hz tone
const tone = rtpPcap(toneRtp({packets: 150})); // tone.pcap of the call_*.xml scenarios: 3 s

let srv, log;
const sipps = [];
const keep = (s) => (sipps.push(s), s);

/* A person's phone: SIPp registered, waiting with scenario. */
async function phone(user, scenario, opts) {
    return keep(await sippPhone(srv, [user], scenario, opts));
}

/* The carrier's caller (from) dials number; resolves with the SIPp and
 * the call's id. hangUpAfterMs: the caller hangs up (else it waits). */
async function dialIn(number, from, {hangUpAfterMs} = {}) {
    const sipp = keep(await startCarrierCalls(srv, [[number, from]], TONE, {hangUpAfterMs}));
    return {sipp, id: await log.callOf(from)};
}

/* A registered user's own call to dial (call_*.xml, with digest). */
async function place(user, scenario, dial, opts = {}) {
    return keep(startSipp(srv, scenario, {users: [user], dial, port: await freePort(),
                                          mediaPort: await freeMediaPort(), files: {'tone.pcap': tone},
                                          recvTimeoutMs: 30000, ...opts}));
}

const received = (r, re) => messages(r, 'received').find((m) => re.test(m));
const sipUri = (ext) => `sip:${ext}@127.0.0.1:${srv.sip.port}`;

/* Every leg of a call record carried audio both ways. */
function assertTalked(rec, min = 25) {
    for (const leg of rec.legs)
        assert.ok(leg.rxPackets >= min && leg.txPackets >= min, `leg ${leg.leg}: ${JSON.stringify(rec.legs)}`);
}

const BOB = ['1002', '1002', 'demo-bob'];
const ALICE = ['1001', '1001', 'demo-alice'];
const CAROL = ['1003', 'carol', 'demo-carol'];
const DAVE = ['1004', '1004', 'demo-dave'];
const ERIN = ['2001', '2001', 'demo-erin'];
const FRED = ['1005', 'fred', 'demo-fred'];
const GINA = ['1006', 'gina', 'demo-gina'];

describe('park, recording and transfers, every phone a SIPp', {concurrency: true}, () => {
    before(async () => {
        srv = await startServer();
        log = await CallEvents.open(srv);
        for (const [name, ext] of [['fred', '1005'], ['gina', '1006']]) {
            const r = await api(srv.url, 'POST', '/v1/users', {...admin,
                body: {name, role: 'agent', extension: ext, password: `demo-${name}`}});
            assert.equal(r.status, 201, r.text);
        }
        // Numbers leading to one person each.
        for (const [n, user] of [['40', 'bob'], ['41', 'dave'], ['42', 'alice'], ['43', 'fred']])
            await putConfig(srv, `/v1/voice/numbers/+155502${n}`, {target: {kind: 'person', user}});
    });

    after(async () => {
        for (const s of sipps) await s.kill();
        await log?.close();
        await srv?.close();
    });

    test('bob parks the caller with a transfer to *7; erin dials the orbit and takes the call', async () => {
        const bob = await phone(BOB, 'uas_refer.xml', {pauseMs: 1500, keys: {refer_to: sipUri('*7')}, args: ['-aa']});
        const {sipp, id} = await dialIn('+15550240', '+15559877001');
        const parked = await log.wait(id, 'callParked');
        const orbit = parked.data.orbit;
        assert.ok(orbit >= 701 && orbit <= 720, JSON.stringify(parked.data));
        const erin = await place(ERIN, 'call_bye.xml', String(orbit), {pauseMs: 2000});
        const b = await bob.done; // the orbit spoken, then hung up
        assertPassed(b);
        assert.ok(received(b, /^NOTIFY [\s\S]*SIP\/2\.0 200 OK/), `bob is told the transfer worked\n${trace(b)}`);
        const e = await erin.done;
        assertPassed(e);
        assert.deepEqual(statuses(e), [407, 200], trace(e)); // the INVITE's and the BYE's
        const retrieved = await log.wait(id, 'callRetrieved');
        assert.equal(retrieved.data.orbit, orbit);
        assertPassed(await sipp.done); // erin hung up: the caller gets BYE
        // The parked call ends there, with bob's leg (his talk, then the orbit spoken)...
        const parkedRec = await endedCall(srv, id);
        assert.deepEqual([parkedRec.endedBy, parkedRec.endReason], ['system', 'retrieved from park']);
        assertTalked(parkedRec);
        // ... and the caller's leg goes on in erin's call: both talked.
        const rec = await endedCall(srv, retrieved.data.retrievingCallId, {legs: 2});
        assert.deepEqual([rec.target, rec.endedBy, rec.endReason], [String(orbit), 'caller', 'hangup']);
        assertTalked(rec);
    });

    test('a manager records the call through the API: a stereo WAV of both sides', async () => {
        const dave = await phone(DAVE, 'uas_answer_bye.xml', {pauseMs: 4000});
        const {sipp, id} = await dialIn('+15550241', '+15559877002');
        await log.wait(id, 'callAnswered');
        const maria = {token: await login(srv.url, 'maria')};
        const start = await api(srv.url, 'POST', `/v1/calls/${id}/recording`, maria);
        assert.equal(start.status, 202, start.text);
        await log.wait(id, 'callRecordingStarted');
        await new Promise((r) => setTimeout(r, 2000));
        const stop = await api(srv.url, 'DELETE', `/v1/calls/${id}/recording`, maria);
        assert.equal(stop.status, 202, stop.text);
        const done = await log.wait(id, 'callRecorded');
        assert.deepEqual([done.data.state, done.data.reason], ['done', 'stopped'], JSON.stringify(done.data));
        assertPassed(await dave.done);
        assertPassed(await sipp.done);
        const wav = await fetch(`${srv.url}/v1/calls/${id}/recording`, {headers: {authorization: `Bearer ${maria.token}`}});
        assert.equal(wav.status, 200);
        const {fmt, left, right} = parseWav(Buffer.from(await wav.arrayBuffer()));
        assert.deepEqual(fmt, {channels: 2, rate: 8000, bits: 16});
        assert.ok(Math.abs(left.length / 8 - done.data.durationMs) < 100, `${left.length / 8} ms in the file`);
        assert.ok(left.length >= 8 * 1500, `${left.length / 8} ms recorded`);
        // Left the caller's tone; right what the caller heard: dave's echo of it.
        const mid = (ch) => ch.slice(Math.floor(ch.length / 4), Math.floor((ch.length * 3) / 4));
        assert.ok(share(mid(left), 440) > 0.5, `the caller (${share(mid(left), 440).toFixed(2)})`);
        assert.ok(share(mid(right), 440) > 0.5, `dave's echo (${share(mid(right), 440).toFixed(2)})`);
        assertTalked(await endedCall(srv, id, {legs: 2}));
    });

    test('alice transfers the caller blind to carol (REFER), who talks with the caller', async () => {
        const carol = await phone(CAROL, 'uas_answer_bye.xml', {pauseMs: 2000});
        const alice = await phone(ALICE, 'uas_refer.xml', {pauseMs: 1500, keys: {refer_to: sipUri('1003')},
                                                           args: ['-aa']});
        const {sipp, id} = await dialIn('+15550242', '+15559877003');
        const a = await alice.done;
        assertPassed(a); // 202, then BYE
        assert.ok(received(a, /^NOTIFY [\s\S]*SIP\/2\.0 200 OK/), `alice is told the transfer worked\n${trace(a)}`);
        const c = await carol.done;
        assertPassed(c);
        assert.match(received(c, /^INVITE /), /^From:.*sip:\+15559877003@/m, 'carol sees the caller');
        assertPassed(await sipp.done);
        const moved = await log.wait(id, 'callTransferred');
        assert.equal(moved.data.answeredBy, (await userByName(srv.url, 'carol')).id);
        const rec = await endedCall(srv, id, {legs: 3});
        assert.deepEqual([rec.endedBy, rec.endReason], ['callee', 'hangup']);
        assertTalked(rec);
    });

    test('fred transfers the caller attended: a second line to gina, then REFER with Replaces', async () => {
        const gina = await phone(GINA, 'uas_answer_moved.xml');
        // fred's second line calls gina first, with a Call-ID we choose.
        const callId = `sb-attended-${process.pid}-1@127.0.0.1`;
        const line2 = await place(FRED, 'call_wait_bye.xml', '1006', {args: ['-cid_str', `sb-attended-${process.pid}-%u@%s`]});
        const second = await log.callOf('1005');
        // Replaces names that dialog: its Call-ID and tags, from the 200 it got.
        let ok;
        for (let i = 0; i < 200 && !ok; i++, await sleep(50))
            ok = messagesSoFar(line2).find((m) => /^SIP\/2\.0 200 [\s\S]*^CSeq:\s*\d+ INVITE/m.test(m));
        const tag = (h) => new RegExp(`^${h}:.*;tag=([^;>\\s]+)`, 'm').exec(ok)?.[1];
        assert.ok(ok && tag('To') && tag('From'), `fred's second line is not answered: ${messagesSoFar(line2)}`);
        const replaces = encodeURIComponent(`${callId};to-tag=${tag('To')};from-tag=${tag('From')}`);
        const fred = await phone(FRED, 'uas_refer.xml', {pauseMs: 1500, args: ['-aa'],
            keys: {refer_to: `${sipUri('1006')}?Replaces=${replaces}`}});
        const {sipp, id} = await dialIn('+15550243', '+15559877004', {hangUpAfterMs: 5000});
        const f = await fred.done;
        assertPassed(f); // 202, then BYE: his first line
        assert.ok(received(f, /^NOTIFY [\s\S]*SIP\/2\.0 200 OK/), `fred is told the transfer worked\n${trace(f)}`);
        assertPassed(await line2.done); // BYE: his second line
        const moved = await log.wait(id, 'callTransferred');
        assert.equal(moved.data.kind, 'attended');
        assert.equal(moved.data.answeredBy, (await userByName(srv.url, 'gina')).id);
        assertPassed(await sipp.done); // the caller hung up, talking with gina
        assertPassed(await gina.done); // and she got BYE
        assert.equal((await endedCall(srv, second)).endReason, 'transferred');
        const rec = await endedCall(srv, id, {legs: 2});
        assert.deepEqual([rec.endedBy, rec.endReason], ['caller', 'hangup']);
        assertTalked(rec);
    });
});
