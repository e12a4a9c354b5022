// An auto attendant driven by SIPp as the carrier (docs/voice.md): every
// caller is a SIPp call to a number from 127.0.0.1 whose side of the call
// is a capture written here (tone, silence, and keys as RFC 4733 events),
// and every person, agent or far carrier it reaches is a SIPp phone that
// answers, echoes the audio and hangs up. One server; the calls run at
// the same time, each told apart by its caller's number. Each test presses
// one kind of menu option: an announcement (then the menu again), repeat,
// the operator, an extension, a call queue, another attendant, shared
// voicemail (its WAV fetched through the API), a person, an external
// number through the trunk, disconnect; a wrong key, then a good one; no
// key at all, then the default. What is checked: the attendant's events,
// where the call went, what the far SIPp got, the call records' RTP
// figures, the voicemail's length.
import {test, describe, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {startServer, login} from './lib/server.js';
import {requireSipp, sippPhone, startCarrierCalls, assertPassed, trace, messages} from './lib/sipp.js';
import {CallEvents, endedCall} from './lib/callevents.js';
import {putConfig, workerJoins, farCarrier} from './lib/voicesetup.js';
import {parseWav, share} from './lib/audio.js';

requireSipp();

const NUMBER = '+15550160'; // the attendant's
const EXTERNAL = '+15557770177'; // dialled out through the trunk
const ANSWER_MS = 2000; // how long the phones talk before hanging up

const ATTENDANT = {
    open: {
        menu: {
            prompt: {text: 'Choose.'},
            options: [
                {key: '3', target: {kind: 'callQueue', callQueue: 'ivrq'}},
                {key: '4', announcement: {text: 'News.'}},
                {key: '5', target: {kind: 'attendant', attendant: 'second'}},
                {key: '6', target: {kind: 'voicemail', box: 'billing'}},
                {key: '7', target: {kind: 'person', user: 'dave'}},
                {key: '8', target: {kind: 'external', number: EXTERNAL}},
                {key: '9', target: {kind: 'disconnect'}},
                {key: '*', repeat: true},
            ],
            operator: {kind: 'person', user: 'carol'},
            dialByExtension: true,
            retries: 1,
            inputSeconds: 1,
            invalid: {text: 'Sorry, that key is not on the menu.'},
            default: {kind: 'announcement', text: 'Goodbye.'},
        },
    },
};

let srv, log;
const phones = {};

const put = (path, body) => putConfig(srv, path, body);

/* A caller (from) dials the attendant and plays steps; resolves with the
 * SIPp handle and the call's id. */
async function dialIn(from, steps) {
    const sipp = await startCarrierCalls(srv, [[NUMBER, from]], steps);
    return {sipp, id: await log.callOf(from)};
}

/* The attendant's option event of a call: key and target. */
async function option(id, key) {
    const e = await log.wait(id, 'attendantOption', (x) => x.data.key === key);
    return e.data.target;
}

/* Both legs carried audio both ways: the caller's tone to the far phone,
 * its echo back. */
function assertTalked(rec) {
    assert.equal(rec.legs.length, 2, JSON.stringify(rec.legs));
    for (const leg of rec.legs) {
        assert.equal(leg.codec, 'PCMU', JSON.stringify(rec.legs));
        assert.ok(leg.rxPackets >= 40 && leg.txPackets >= 40, `leg ${leg.leg}: ${JSON.stringify(rec.legs)}`);
    }
}

/* The INVITE a SIPp phone got. */
function invite(r) {
    const m = messages(r, 'received').find((x) => /^INVITE /.test(x));
    assert.ok(m, `no INVITE\n${trace(r)}`);
    return m;
}

describe('an auto attendant, keys pressed by SIPp (RFC 4733)', {concurrency: true}, () => {
    before(async () => {
        srv = await startServer();
        log = await CallEvents.open(srv);
        // The call queue of key 3, served by alice alone.
        await put('/v1/router/queues/ivrq', {distributionPolicyId: 'longest-idle'});
        await workerJoins(srv, 'alice', 'ivrq');
        await put('/v1/voice/queues/ivrq', {queue: 'ivrq'});
        await put('/v1/voice/attendants/second', {open: {greeting: {text: 'Second menu.'},
            target: {kind: 'announcement', text: 'Goodbye.'}}});
        await put('/v1/voice/attendants/ivr', ATTENDANT);
        await put(`/v1/voice/numbers/${NUMBER}`, {trunk: 'demo-carrier', target: {kind: 'attendant', attendant: 'ivr'}});
        // The phones: each answers one call, talks, hangs up.
        const answer = {pauseMs: ANSWER_MS};
        phones.alice = await sippPhone(srv, [['1001', '1001', 'demo-alice']], 'uas_answer_bye.xml', answer);
        phones.bob = await sippPhone(srv, [['1002', '1002', 'demo-bob']], 'uas_answer_bye.xml', answer);
        phones.carol = await sippPhone(srv, [['1003', 'carol', 'demo-carol']], 'uas_answer_bye.xml', answer);
        phones.dave = await sippPhone(srv, [['1004', '1004', 'demo-dave']], 'uas_answer_bye.xml', answer);
        phones.far = await farCarrier(srv, 'uas_answer_bye.xml', answer);
    });

    after(async () => {
        for (const p of Object.values(phones)) await p.kill();
        await log?.close();
        await srv?.close();
    });

    /* The menu without a choice: two waits for a key (retries: 1), then
     * the default, an announcement, and Switchboard hangs up. */
    async function toTheDefault(id, sipp) {
        const tries = [await log.wait(id, 'attendantNoInput', (e) => e.data.try === 1),
                       await log.wait(id, 'attendantNoInput', (e) => e.data.try === 2)];
        const to = await log.wait(id, 'callRedirected');
        assert.deepEqual(to.data.target, {kind: 'announcement', text: 'Goodbye.'});
        assert.ok(tries[0].seq < tries[1].seq && tries[1].seq < to.seq, log.types(id).join());
        assertPassed(await sipp.done);
        assert.equal((await endedCall(srv, id)).endReason, 'application done');
    }

    test('4 plays an announcement, then the menu again', async () => {
        const {sipp, id} = await dialIn('+15559870101', [{silence: 800}, {key: '4'}, {silence: 15000}]);
        assert.equal(await option(id, '4'), 'announcement');
        await toTheDefault(id, sipp); // the menu came back and waited for a key
    });

    test('* repeats the menu', async () => {
        const {sipp, id} = await dialIn('+15559870102', [{silence: 800}, {key: '*'}, {silence: 15000}]);
        assert.equal(await option(id, '*'), 'repeat');
        await toTheDefault(id, sipp);
    });

    test('no key at all: the menu twice, then the default', async () => {
        const {sipp, id} = await dialIn('+15559870103', [{silence: 15000}]);
        await toTheDefault(id, sipp);
        assert.ok(!log.types(id).includes('attendantOption'), log.types(id).join());
    });

    test('a wrong key (2, no extension begins 2x), the apology, then 9 disconnects', async () => {
        // 2 may begin an extension: the attendant waits 2 s for more digits,
        // then apologises (2 s), plays the menu and waits 1 s: 9 comes in
        // the apology.
        const {sipp, id} = await dialIn('+15559870104', [{silence: 800}, {key: '2'}, {silence: 3400}, {key: '9'},
                                                         {silence: 5000}]);
        const wrong = await log.wait(id, 'attendantInvalid');
        assert.deepEqual([wrong.data.input, wrong.data.try], ['2', 1]);
        assert.equal(await option(id, '9'), 'disconnect');
        assertPassed(await sipp.done); // Switchboard's BYE
        const rec = await endedCall(srv, id);
        assert.deepEqual([rec.endedBy, rec.endReason], ['system', 'disconnected']);
        assert.ok(!log.types(id).includes('attendantNoInput'), log.types(id).join());
    });

    test('5 leads to another attendant', async () => {
        const {sipp, id} = await dialIn('+15559870105', [{silence: 800}, {key: '5'}, {silence: 15000}]);
        assert.equal(await option(id, '5'), 'attendant');
        const second = await log.wait(id, 'attendantEntered', (e) => e.data.attendant === 'second');
        assert.equal(second.data.flow, 'open');
        const to = await log.wait(id, 'callRedirected', (e) => e.data.from === 'attendant' &&
                                                              e.data.target.kind === 'announcement');
        assert.ok(second.seq < to.seq);
        assertPassed(await sipp.done);
        assert.equal((await endedCall(srv, id)).endReason, 'application done');
    });

    /* Keys that ring a SIPp phone (the option's target): it answers (the
     * caller's number in From), echoes the caller's tone and hangs up; the
     * caller gets BYE. */
    async function ringsPhone(from, keys, target, phone) {
        const steps = [{silence: 800}, ...keys.map((key) => ({key})), {tone: 15000}];
        const {sipp, id} = await dialIn(from, steps);
        assert.equal(await option(id, keys.join('')), target);
        const p = await phone.done;
        assertPassed(p);
        assert.match(invite(p), new RegExp(`^From:.*sip:\\${from}@`, 'm'), 'the phone sees who calls');
        assertPassed(await sipp.done);
        const rec = await endedCall(srv, id, {legs: 2});
        assertTalked(rec);
        assert.deepEqual([rec.endedBy, rec.endReason], ['callee', 'hangup']);
        return {id, invite: invite(p), rec};
    }

    for (const [title, from, keys, option, phone, ext, target] of [
        ['0 reaches the operator, carol', '+15559870106', ['0'], 'operator', 'carol', '1003',
         {kind: 'person', user: 'carol'}],
        ['1002 dialled by extension rings bob', '+15559870107', ['1', '0', '0', '2'], 'extension', 'bob', '1002',
         {kind: 'extension', extension: '1002'}],
        ['7 rings a person, dave', '+15559870108', ['7'], 'person', 'dave', '1004', {kind: 'person', user: 'dave'}],
        ['3 queues the caller; alice, the agent, answers', '+15559870109', ['3'], 'callQueue', 'alice', '1001',
         {kind: 'callQueue', callQueue: 'ivrq'}],
    ]) {
        test(`${title} on a SIPp phone`, async () => {
            const {id, invite: inv} = await ringsPhone(from, keys, option, phones[phone]);
            assert.match(inv, new RegExp(`^INVITE sip:${ext}@127\\.0\\.0\\.1:`));
            assert.deepEqual((await log.wait(id, 'callRedirected')).data.target, target);
            if (option === 'callQueue') {
                assert.equal((await log.wait(id, 'queueEntered')).data.callQueue, 'ivrq');
                assert.equal((await log.wait(id, 'queueAnswered')).data.workerId, 'alice');
            }
        });
    }

    test('8 dials an external number out through the trunk, to a SIPp carrier', async () => {
        // The far carrier sees the trunk's caller id; the caller's number is
        // in the call record.
        const steps = [{silence: 800}, {key: '8'}, {tone: 15000}];
        const {sipp, id} = await dialIn('+15559870110', steps);
        assert.equal(await option(id, '8'), 'external');
        const far = await phones.far.done;
        assertPassed(far);
        const inv = invite(far);
        assert.match(inv, new RegExp(`^INVITE sip:\\${EXTERNAL}@127\\.0\\.0\\.1:${phones.far.port} `));
        assert.match(inv, /^From:.*sip:\+15550100@/m, 'the trunk\'s caller id');
        assertPassed(await sipp.done);
        const rec = await endedCall(srv, id, {legs: 2});
        assertTalked(rec);
        assert.deepEqual([rec.direction, rec.from, rec.endedBy], ['inbound', 'sip:+15559870110@127.0.0.1', 'callee']);
    });

    test('6 leaves a message in the shared box; its WAV is as long as the tone sent', async () => {
        // 6, then a key skips the greeting; after the beep 2 s of tone, then #.
        const TONE_MS = 2000;
        const {sipp, id} = await dialIn('+15559870111', [{silence: 800}, {key: '6'}, {silence: 1500}, {key: '1'},
                                                         {silence: 600}, {tone: TONE_MS}, {key: '#'},
                                                         {silence: 15000}]);
        assert.equal(await option(id, '6'), 'voicemail');
        const left = await log.wait(id, 'voicemailLeft');
        assert.equal(left.data.box, 'billing');
        assertPassed(await sipp.done); // "saved", then Switchboard's BYE
        // The recording runs from the beep to #: a little silence, then the tone.
        const ms = left.data.durationMs;
        assert.ok(ms >= TONE_MS && ms <= TONE_MS + 1200, `${ms} ms recorded for ${TONE_MS} ms of tone`);
        const maria = await login(srv.url, 'maria');
        const wav = await fetch(`${srv.url}/v1/voicemail/messages/${left.data.messageId}/audio`,
                                {headers: {authorization: `Bearer ${maria}`}});
        assert.equal(wav.status, 200);
        const {fmt, left: samples} = parseWav(Buffer.from(await wav.arrayBuffer()));
        assert.deepEqual(fmt, {channels: 1, rate: 8000, bits: 16});
        assert.ok(Math.abs(samples.length / 8 - ms) < 50, 'the file is as long as the message');
        // 20 ms frames holding the 440 Hz tone: as many as were sent.
        let toneMs = 0;
        for (let i = 0; i + 160 <= samples.length; i += 160) {
            const f = samples.slice(i, i + 160);
            if (Math.sqrt(f.reduce((a, x) => a + x * x, 0) / 160) > 1000 && share(f, 440) > 0.5) toneMs += 20;
        }
        assert.ok(Math.abs(toneMs - TONE_MS) <= 100, `${toneMs} ms of the tone in the WAV, ${TONE_MS} sent`);
    });

    test('9 disconnects at once', async () => {
        const {sipp, id} = await dialIn('+15559870112', [{silence: 800}, {key: '9'}, {silence: 10000}]);
        assert.equal(await option(id, '9'), 'disconnect');
        assertPassed(await sipp.done);
        const rec = await endedCall(srv, id);
        assert.deepEqual([rec.endedBy, rec.endReason], ['system', 'disconnected']);
        assert.ok(!log.types(id).includes('attendantNoInput'));
    });
});
