// Calls placed and answered by SIPp (the scenarios in tests/sip/), as real
// phones would: alice (1001) calls bob (1002), whose phone is a SIPp
// registered with register.xml and then waiting on the same port with a
// UAS scenario; the caller plays a PCMU tone (a pcap written here) and
// the callee's SIPp echoes what it hears (-rtp_echo), so the audio crosses
// both legs both ways. CANCEL while ringing, BYE from either side, hold
// and resume by re-INVITE, the digits test *44 with RFC 4733 events
// (SIPp's own captures) and SIP INFO, and the echo test *43. Outcomes are
// read from SIPp's exit code and messages, the call records
// (GET /v1/calls) and the events stream.
import {test, describe} from 'node:test';
import assert from 'node:assert/strict';
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {useServer, makeTempDir, api, sleep, DEMO_API_KEY} from './lib/server.js';
import {EventStream} from './lib/ws.js';
import {
    requireSipp, runSipp, sippPhone, freePort, freeMediaPort, assertPassed, trace, statuses, messages, SIPP_SHARE,
} from './lib/sipp.js';
import {toneRtp, writeRtpPcap} from './lib/pcap.js';

requireSipp();
for (const d of ['1', '5', '9', 'pound', '2', '4', '6']) {
    const f = join(SIPP_SHARE, `dtmf_2833_${d}.pcap`);
    if (!existsSync(f))
        throw new Error(`${f} is missing: it comes with SIPp (Debian package sip-tester, scripts/install-deps)`);
}

const admin = {apiKey: DEMO_API_KEY};
/* Injection file rows: extension; authentication user name; password. */
const ALICE = ['1001', '1001', 'demo-alice'];
const BOB = ['1002', '1002', 'demo-bob'];
const CAROL = ['1003', 'carol', 'demo-carol'];

/* 2 s of a 440 Hz PCMU tone, 100 RTP packets of 20 ms, as the caller's
 * tone.pcap (play_pcap_audio in the call_*.xml scenarios). */
const TONE_PACKETS = 100;
const tone = (() => {
    const dir = makeTempDir(null, 'sb-tone-');
    const f = join(dir, 'tone.pcap');
    writeRtpPcap(f, toneRtp({packets: TONE_PACKETS}));
    return readFileSync(f);
})();

/* The call placed by extension `caller`, dialling `dial`, with scenario. */
async function call(srv, scenario, {caller = ALICE, dial = '1002', pauseMs, recvTimeoutMs = 30000} = {}) {
    return runSipp(srv, scenario, {users: [caller], dial, port: await freePort(), mediaPort: await freeMediaPort(),
                                   files: {'tone.pcap': tone}, pauseMs, recvTimeoutMs});
}

/* bob's phone: SIPp registers 1002 from a free port, then waits there
 * for Switchboard's INVITE with scenario (in the background; killed when
 * the test ends). It echoes the audio it gets. */
async function phone(t, srv, scenario, {pauseMs} = {}) {
    const uas = await sippPhone(srv, [BOB], scenario, {pauseMs});
    t.after(() => uas.kill());
    return uas;
}

/* The newest call record once ended with its legs' figures (they are
 * stored as each media leg closes, just after the call ends). */
async function endedCall(srv, legs = 1) {
    let rec;
    for (let i = 0; i < 100; i++) {
        const r = await api(srv.url, 'GET', '/v1/calls', admin);
        assert.equal(r.status, 200, r.text);
        rec = r.json.items[0];
        if (rec && rec.state === 'ended' && rec.legs.length >= legs) return rec;
        await sleep(50);
    }
    assert.fail(`no ended call with ${legs} legs: ${JSON.stringify(rec)}`);
}

/* The SIP message received by SIPp whose first line matches re. */
const received = (r, re) => messages(r, 'received').find((m) => re.test(m));

// Three at a time (each test has its own server): most of a test is
// SIPp pausing while audio plays; the longest (the digits timeout) first.
describe('SIPp calls', {concurrency: 3}, () => {
    /* *44 with scenario; resolves with the callDigits event's data once
     * Switchboard has read the digits back and hung up. */
    async function digits(t, scenario) {
        const srv = await useServer(t);
        const events = await EventStream.open(srv.url, {...admin, query: {topics: 'calls'}});
        t.after(() => events.close());
        const r = await call(srv, scenario, {caller: CAROL, dial: '*44'});
        assertPassed(r); // it ends on Switchboard's BYE
        assert.ok(received(r, /^BYE sip:1003@/), trace(r));
        const m = await events.next((e) => e.type === 'event' && e.event.type === 'callDigits');
        const rec = await endedCall(srv, 1);
        assert.equal(rec.application, 'digits');
        assert.equal(rec.endedBy, 'system');
        assert.equal(rec.endReason, 'application done');
        assert.equal(m.event.subject, rec.id);
        assert.ok(rec.legs[0].txPackets > 0, `the prompt and the read-back were sent: ${JSON.stringify(rec.legs)}`);
        return {data: m.event.data, rec, at: Date.parse(m.event.time)};
    }

    test('*44 without #: the collection ends after the inter-digit timeout', async (t) => {
        const {data, rec, at} = await digits(t, 'call_digits_timeout.xml');
        assert.equal(data.digits, '246');
        assert.equal(data.reason, 'timeout');
        // the keys come 1 to 2 s after the answer, the timeout 5 s after the last
        const after = at - Date.parse(rec.answeredAt);
        assert.ok(after >= 6000, `collected ${after} ms after the answer: not before the timeout`);
    });

    test('*44 collects RFC 4733 digits (SIPp\'s dtmf_2833 captures) until #', async (t) => {
        const {data, rec} = await digits(t, 'call_digits_rfc4733.xml');
        assert.equal(data.digits, '159');
        assert.equal(data.reason, 'terminator');
        assert.ok(rec.legs[0].rxPackets >= 4 * 10 * 0.8, JSON.stringify(rec.legs)); // 10 packets a key
    });

    test('*44 collects digits sent by SIP INFO (application/dtmf-relay) until #', async (t) => {
        const {data} = await digits(t, 'call_digits_info.xml');
        assert.equal(data.digits, '703');
        assert.equal(data.reason, 'terminator');
    });

    test('alice calls bob: his SIPp phone answers, RTP flows both ways through both legs, alice hangs up',
         async (t) => {
             const srv = await useServer(t);
             const bob = await phone(t, srv, 'uas_answer.xml');
             const alice = await call(srv, 'call_bye.xml', {pauseMs: 2500});
             assertPassed(alice);
             assert.deepEqual(statuses(alice), [407, 200], trace(alice)); // the 200s of the INVITE and the BYE
             const b = await bob.done;
             assertPassed(b);
             const inv = received(b, /^INVITE sip:1002@127\.0\.0\.1:\d+/);
             assert.ok(inv, trace(b));
             assert.match(inv, /^From:.*sip:1001@/m, 'bob sees who calls');
             assert.match(inv, /^m=audio \d+ RTP\/AVP 0 8 101/m, 'PCMU, PCMA and telephone-event offered');
             assert.ok(received(b, /^BYE /), `bob gets BYE\n${trace(b)}`);

             const rec = await endedCall(srv, 2);
             assert.equal(rec.application, 'extension');
             assert.equal(rec.target, '1002');
             assert.equal(rec.endedBy, 'caller');
             assert.equal(rec.endReason, 'hangup');
             assert.ok(rec.answeredAt, JSON.stringify(rec));
             // leg 1 (alice's): her tone in, bob's echo out; leg 2 (bob's):
             // her tone out, his echo in. Loopback loses nothing, but leave
             // room for a busy machine.
             const min = TONE_PACKETS * 0.8;
             for (const leg of rec.legs) {
                 assert.equal(leg.codec, 'PCMU', JSON.stringify(rec.legs));
                 assert.ok(leg.rxPackets >= min, `received on leg ${leg.leg}: ${JSON.stringify(rec.legs)}`);
                 assert.ok(leg.txPackets >= min, `sent on leg ${leg.leg}: ${JSON.stringify(rec.legs)}`);
             }
         });

    test('alice cancels while bob rings: 487 for her, CANCEL for him, ended by the caller (cancelled)',
         async (t) => {
             const srv = await useServer(t);
             const bob = await phone(t, srv, 'uas_ring.xml');
             const alice = await call(srv, 'call_cancel.xml');
             assertPassed(alice);
             assert.deepEqual(statuses(alice), [407, 200, 487], trace(alice)); // 200: the CANCEL's
             const b = await bob.done;
             assertPassed(b);
             assert.ok(received(b, /^CANCEL sip:1002@/), `bob gets CANCEL\n${trace(b)}`);
             assert.ok(received(b, /^ACK /), `bob's 487 is acknowledged\n${trace(b)}`);

             const rec = await endedCall(srv, 2);
             assert.equal(rec.endedBy, 'caller');
             assert.equal(rec.endReason, 'cancelled');
             assert.equal(rec.answeredAt, null);
         });

    test('bob hangs up: alice gets BYE, ended by the callee', async (t) => {
        const srv = await useServer(t);
        const bob = await phone(t, srv, 'uas_answer_bye.xml', {pauseMs: 2000});
        const alice = await call(srv, 'call_wait_bye.xml');
        assertPassed(alice); // it waits for the BYE and answers it
        assert.ok(received(alice, /^BYE sip:1001@/), trace(alice));
        const b = await bob.done;
        assertPassed(b);
        assert.deepEqual(statuses(b), [200], trace(b)); // the answer to bob's BYE

        const rec = await endedCall(srv, 2);
        assert.equal(rec.endedBy, 'callee');
        assert.equal(rec.endReason, 'hangup');
        assert.ok(rec.answeredAt);
        for (const leg of rec.legs) assert.ok(leg.rxPackets > 0, JSON.stringify(rec.legs));
    });

    test('alice holds (a=sendonly: we answer a=recvonly) and resumes (a=sendrecv: a=sendrecv)', async (t) => {
        const srv = await useServer(t);
        const bob = await phone(t, srv, 'uas_answer.xml');
        const alice = await call(srv, 'call_hold.xml', {pauseMs: 1000});
        assertPassed(alice);
        const held = received(alice, /^SIP\/2\.0 200 [\s\S]*^CSeq:\s*3 INVITE/m);
        const resumed = received(alice, /^SIP\/2\.0 200 [\s\S]*^CSeq:\s*4 INVITE/m);
        assert.ok(held && resumed, trace(alice));
        assert.match(held, /^a=recvonly/m);
        assert.doesNotMatch(held, /^a=(sendrecv|sendonly|inactive)/m);
        assert.match(resumed, /^a=sendrecv/m);
        assert.doesNotMatch(resumed, /^a=(recvonly|sendonly|inactive)/m);
        assertPassed(await bob.done);

        const rec = await endedCall(srv, 2);
        assert.equal(rec.endedBy, 'caller');
        assert.equal(rec.endReason, 'hangup');
        for (const leg of rec.legs) assert.ok(leg.rxPackets > 0, JSON.stringify(rec.legs));
    });

    test('bob holds and resumes (re-INVITE from the callee)',
         async (t) => {
             const srv = await useServer(t);
             const bob = await phone(t, srv, 'uas_hold.xml');
             const alice = await call(srv, 'call_bye.xml', {pauseMs: 4000});
             const b = await bob.done;
             assertPassed(b);
             const held = received(b, /^SIP\/2\.0 200 [\s\S]*^CSeq:\s*1 INVITE/m);
             const resumed = received(b, /^SIP\/2\.0 200 [\s\S]*^CSeq:\s*2 INVITE/m);
             assert.ok(held && resumed, trace(b));
             assert.match(held, /^a=recvonly/m);
             assert.match(resumed, /^a=sendrecv/m);
             assertPassed(alice);
             const rec = await endedCall(srv, 2);
             assert.equal(rec.endedBy, 'caller');
         });

    test('*43 returns the audio sent', async (t) => {
        const srv = await useServer(t);
        const r = await call(srv, 'call_bye.xml', {dial: '*43', pauseMs: 2500});
        assertPassed(r);
        assert.deepEqual(statuses(r), [407, 200], trace(r));
        const rec = await endedCall(srv, 1);
        assert.equal(rec.application, 'echo');
        assert.equal(rec.target, '*43');
        assert.equal(rec.endedBy, 'caller');
        assert.equal(rec.endReason, 'hangup');
        const [leg] = rec.legs;
        assert.equal(leg.codec, 'PCMU');
        // What SIPp played came in, and went back out, packet for packet.
        assert.ok(leg.rxPackets >= TONE_PACKETS * 0.8 && leg.rxPackets <= TONE_PACKETS, JSON.stringify(leg));
        // Every packet comes back, but for the last one or two, which may
        // still be on their way when the hang-up closes the leg.
        assert.ok(leg.txPackets <= leg.rxPackets && leg.txPackets >= leg.rxPackets - 2,
                  JSON.stringify(leg));
        assert.equal(leg.lost, 0, JSON.stringify(leg));
    });
});
