// The echo test *43 end to end: an extension places a call (answering the
// 407 digest challenge), gets our SDP answer, sends RTP and receives the
// same audio back, then hangs up; wrong credentials and unknown numbers
// are refused; the call is recorded with its media figures.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {useServer, sleep, api, login, demoConfigText, DEMO_API_KEY} from './lib/server.js';
import {SipUA, sdpMedia, rtpPacket, dtmfPackets} from './lib/sipua.js';
import {EventStream} from './lib/ws.js';

/* The SIP port from the start banner (logged as component=sip listening). */
function sipPort(srv) {
    const line = srv.logs().find((l) => /component=sip msg="listening"/.test(l));
    return Number(/addr=127\.0\.0\.1:(\d+)/.exec(line)[1]);
}

test('*43 echoes the audio sent, and the call is recorded', async (t) => {
    const srv = await useServer(t);
    const port = sipPort(srv);
    const ua = await SipUA.open({port, user: '1001', password: 'demo-alice'});
    t.after(() => ua.close());
    const uri = `sip:*43@127.0.0.1:${port}`;
    const {res, call} = await ua.invite(uri);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    assert.match(res.headers['content-type'][0], /application\/sdp/);
    const media = sdpMedia(res.body);
    assert.equal(media.ip, '127.0.0.1');
    assert.ok(media.port >= 20000 && media.port <= 29999, `RTP port ${media.port}`);
    assert.equal(media.port % 2, 0, 'RTP on an even port');
    assert.ok([0, 8].includes(media.pts[0]), `codec ${media.pts}`);
    ua.ack(call);

    // 50 packets of 20 ms, each with its own payload.
    const sent = [];
    for (let i = 0; i < 50; i++) {
        const payload = Buffer.alloc(160, (i * 7) & 0xff);
        payload.writeUInt16BE(i, 0);
        sent.push(payload.toString('hex'));
        ua.rtp.send(rtpPacket(1000 + i, 160 * i, 0x1234, media.pts[0], payload), media.port, '127.0.0.1');
        await sleep(20);
    }
    await sleep(300);
    const back = ua.rtpIn.map((b) => b.subarray(12).toString('hex'));
    assert.ok(back.length >= 45, `echoed ${back.length} of 50`);
    for (const p of back) assert.ok(sent.includes(p), 'each echoed payload is one we sent');
    const ssrcs = new Set(ua.rtpIn.map((b) => b.readUInt32BE(8)));
    assert.equal(ssrcs.size, 1);
    assert.ok(!ssrcs.has(0x1234), 'our own SSRC, not the caller\'s');

    const bye = await ua.bye(call);
    assert.equal(bye.status, 200);
    await sleep(300);
    assert.ok(srv.logs().some((l) => /msg="call ended" .* by=caller reason="hangup"/.test(l)));

    // The call record: who, what, who hung up, and the leg's media figures.
    const calls = await api(srv.url, 'GET', '/v1/calls', {apiKey: DEMO_API_KEY});
    assert.equal(calls.status, 200, calls.text);
    const rec = calls.json.items[0];
    assert.equal(rec.target, '*43');
    assert.equal(rec.application, 'echo');
    assert.equal(rec.endedBy, 'caller');
    assert.equal(rec.endReason, 'hangup');
    assert.ok(rec.answeredAt && rec.endedAt);
    assert.equal(rec.legs.length, 1);
    assert.ok(rec.legs[0].rxPackets >= 45, JSON.stringify(rec.legs[0]));
    assert.ok(rec.legs[0].txPackets >= 45, JSON.stringify(rec.legs[0]));
    assert.equal(rec.legs[0].lost, 0);
    assert.match(rec.legs[0].codec, /^PCM[UA]$/);
    // Alice sees her own calls; bob sees none of hers.
    const bob = await login(srv.url, 'bob');
    assert.deepEqual((await api(srv.url, 'GET', '/v1/calls', {token: bob})).json.items, []);
});

test('calls need credentials; unknown numbers get 404', async (t) => {
    const srv = await useServer(t);
    const port = sipPort(srv);
    const bad = await SipUA.open({port, user: '1001', password: 'wrong-password'});
    t.after(() => bad.close());
    const r1 = await bad.invite(`sip:*43@127.0.0.1:${port}`);
    assert.equal(r1.res.status, 403);
    const ua = await SipUA.open({port, user: '1002', password: 'demo-bob'});
    t.after(() => ua.close());
    const r2 = await ua.invite(`sip:*99@127.0.0.1:${port}`);
    assert.equal(r2.res.status, 404);
    // No SDP offer: not acceptable.
    const r3 = await ua.invite(`sip:*43@127.0.0.1:${port}`, {sdp: ''});
    assert.equal(r3.res.status, 488);
    // Only codecs we do not speak: not acceptable either.
    const r4 = await ua.invite(`sip:*43@127.0.0.1:${port}`, {sdp: ua.offer([9]).replace(/a=rtpmap:[08] .*\r\n/g, '')});
    assert.equal(r4.res.status, 488);
});

/* The *44 digits test, with digits by RFC 4733 or by SIP INFO: the prompt
 * plays, the digits until # are collected (and logged as an event), read
 * back, and Switchboard hangs up. */
async function digitsCall(t, how) {
    const srv = await useServer(t);
    const port = sipPort(srv);
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    const ua = await SipUA.open({port, user: '1003', password: 'demo-carol'});
    t.after(() => ua.close());
    const {res, call} = await ua.invite(`sip:*44@127.0.0.1:${port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    ua.ack(call);
    const media = sdpMedia(res.body);
    // Keep sending silence so the media path stays latched, and wait for the prompt's audio.
    let seq = 1, ts = 0;
    const silence = setInterval(() => {
        ua.rtp.send(rtpPacket(seq++, (ts += 160), 0x4242, 0, Buffer.alloc(160, 0xff)), media.port, '127.0.0.1');
    }, 20);
    t.after(() => clearInterval(silence));
    for (let i = 0; i < 100 && ua.rtpIn.length < 10; i++) await sleep(100);
    assert.ok(ua.rtpIn.length >= 10, `the prompt is heard (${ua.rtpIn.length} packets)`);
    for (const d of ['4', '0', '7', '#']) {
        if (how === 'info') {
            assert.equal((await ua.info(call, d)).status, 200);
        } else {
            for (const p of dtmfPackets(d, seq, (ts += 160), 0x4242)) {
                ua.rtp.send(p, media.port, '127.0.0.1');
                await sleep(20);
            }
            seq += 6;
        }
        await sleep(100);
    }
    const got = await events.next((m) => m.type === 'event' && m.event.type === 'callDigits', {timeoutMs: 10000});
    assert.equal(got.event.data.digits, '407');
    assert.equal(got.event.data.reason, 'terminator');
    // The read-back plays, then Switchboard hangs up.
    const bye = await ua.next((m) => m.method === 'BYE', 30000);
    ua.answer(bye);
    const calls = await api(srv.url, 'GET', '/v1/calls', {apiKey: DEMO_API_KEY});
    const rec = calls.json.items[0];
    assert.equal(rec.application, 'digits');
    assert.equal(rec.endedBy, 'system');
    assert.equal(rec.endReason, 'application done');
}

test('*44 collects digits sent by RFC 4733 and reads them back', (t) => digitsCall(t, 'rfc4733'));
test('*44 collects digits sent by SIP INFO', (t) => digitsCall(t, 'info'));

test('a call longer than sip.maxCallSeconds is ended by Switchboard', async (t) => {
    const srv = await useServer(t, {configText: demoConfigText({sip: {maxCallSeconds: 2}})});
    const port = sipPort(srv);
    const ua = await SipUA.open({port, user: '1001', password: 'demo-alice'});
    t.after(() => ua.close());
    const {res, call} = await ua.invite(`sip:*43@127.0.0.1:${port}`);
    assert.equal(res.status, 200);
    ua.ack(call);
    const t0 = Date.now();
    const bye = await ua.next((m) => m.method === 'BYE', 10000);
    ua.answer(bye);
    const held = Date.now() - t0;
    assert.ok(held >= 1500, `not before the limit (ended after ${held} ms)`);
    await sleep(200);
    const rec = (await api(srv.url, 'GET', '/v1/calls', {apiKey: DEMO_API_KEY})).json.items[0];
    assert.equal(rec.endedBy, 'system');
    assert.equal(rec.endReason, 'maximum call duration');
});
