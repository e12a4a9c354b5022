// Calls between people: bob's phones ring when alice dials 1002, the first
// to answer wins, the audio flows both ways through Switchboard, and either
// side hangs up; nobody registered gives 480, a refusal ends the call.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {useServer, sleep, api, DEMO_API_KEY} from './lib/server.js';
import {SipUA, sdpMedia, rtpPacket} from './lib/sipua.js';

const sipPort = (srv) => srv.sip.port;

/* bob's phone: registers, answers the next INVITE with 180 then 200. */
async function phone(t, port, {answer = true} = {}) {
    const ua = await SipUA.open({port, user: '1002', password: 'demo-bob'});
    t.after(() => ua.close());
    const reg = await ua.register();
    assert.equal(reg.status, 200, `${reg.status} ${reg.reason}`);
    ua.ringing = (async () => {
        const inv = await ua.next((m) => m.method === 'INVITE', 10000);
        ua.answer(inv, 180, 'Ringing', {toTag: 'bobtag'});
        await sleep(100);
        if (!answer) {
            ua.answer(inv, 486, 'Busy Here', {toTag: 'bobtag'});
            return {inv};
        }
        ua.answer(inv, 200, 'OK', {toTag: 'bobtag', body: ua.offer([0, 101])});
        return {inv, media: sdpMedia(inv.body)};
    })();
    return ua;
}

test('an extension rings, answers, and audio flows both ways until a hang-up', async (t) => {
    const srv = await useServer(t);
    const port = sipPort(srv);
    const bob = await phone(t, port);
    const alice = await SipUA.open({port, user: '1001', password: 'demo-alice'});
    t.after(() => alice.close());
    const {res, call} = await alice.invite(`sip:1002@127.0.0.1:${port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    alice.ack(call);
    const {inv, media: toBob} = await bob.ringing;
    assert.match(inv.headers.from[0], /1001/, 'bob sees who calls');
    const toAlice = sdpMedia(res.body);
    await sleep(200);
    for (let i = 0; i < 25; i++) {
        alice.rtp.send(rtpPacket(i, i * 160, 0xa1, toAlice.pts[0], Buffer.alloc(160, 0x11)), toAlice.port, '127.0.0.1');
        bob.rtp.send(rtpPacket(i, i * 160, 0xb0, 0, Buffer.alloc(160, 0x22)), toBob.port, '127.0.0.1');
        await sleep(20);
    }
    await sleep(300);
    // Both sides speak PCMU: the audio is relayed unchanged.
    assert.equal(toAlice.pts[0], 0);
    const heardByBob = bob.rtpIn.filter((b) => b.subarray(12).every((x) => x === 0x11));
    const heardByAlice = alice.rtpIn.filter((b) => b.subarray(12).every((x) => x === 0x22));
    assert.ok(heardByBob.length >= 20, `bob hears alice (${heardByBob.length} of ${bob.rtpIn.length} packets)`);
    assert.ok(heardByAlice.length >= 20, `alice hears bob (${heardByAlice.length} of ${alice.rtpIn.length} packets)`);
    // alice hangs up: bob gets BYE.
    assert.equal((await alice.bye(call)).status, 200);
    const bye = await bob.next((m) => m.method === 'BYE', 5000);
    bob.answer(bye);
    await sleep(300);
    const rec = (await api(srv.url, 'GET', '/v1/calls', {apiKey: DEMO_API_KEY})).json.items[0];
    assert.equal(rec.application, 'extension');
    assert.equal(rec.target, '1002');
    assert.equal(rec.endedBy, 'caller');
    assert.ok(rec.answeredAt);
    assert.equal(rec.legs.length, 2, JSON.stringify(rec.legs));
});

test('nobody registered gives 480; a busy phone ends the call', async (t) => {
    const srv = await useServer(t);
    const port = sipPort(srv);
    const alice = await SipUA.open({port, user: '1001', password: 'demo-alice'});
    t.after(() => alice.close());
    const r1 = await alice.invite(`sip:1003@127.0.0.1:${port}`);
    assert.equal(r1.res.status, 480);
    const bob = await phone(t, port, {answer: false});
    const r2 = await alice.invite(`sip:1002@127.0.0.1:${port}`);
    assert.equal(r2.res.status, 480, `${r2.res.status} ${r2.res.reason}`);
    await bob.ringing;
});

test('early media: the callee\'s 183 with SDP reaches the caller, who hears it before the answer', async (t) => {
    const srv = await useServer(t);
    const port = sipPort(srv);
    const bob = await SipUA.open({port, user: '1002', password: 'demo-bob'});
    t.after(() => bob.close());
    assert.equal((await bob.register()).status, 200);
    const alice = await SipUA.open({port, user: '1001', password: 'demo-alice'});
    t.after(() => alice.close());
    const pending = alice.invite(`sip:1002@127.0.0.1:${port}`);
    const inv = await bob.next((m) => m.method === 'INVITE', 10000);
    const toBob = sdpMedia(inv.body);
    bob.answer(inv, 183, 'Session Progress', {toTag: 'bobtag', body: bob.offer([0, 101])});
    // alice gets 183 with our SDP, then bob's early audio through it.
    const progress = await alice.next((m) => m.status === 183, 5000);
    const toAlice = sdpMedia(progress.body);
    assert.ok(toAlice.port > 0, 'the 183 carries an SDP answer');
    for (let i = 0; i < 25; i++) {
        bob.rtp.send(rtpPacket(i, i * 160, 0xb0, 0, Buffer.alloc(160, 0x33)), toBob.port, '127.0.0.1');
        await sleep(20);
    }
    await sleep(200);
    const early = alice.rtpIn.filter((b) => b.subarray(12).every((x) => x === 0x33)).length;
    assert.ok(early >= 15, `alice hears the early media before any answer (${early} packets)`);
    assert.ok(srv.logs().some((l) => /msg="early media"/.test(l)));
    bob.answer(inv, 200, 'OK', {toTag: 'bobtag', body: bob.offer([0, 101])});
    const {res, call} = await pending;
    assert.equal(res.status, 200);
    alice.ack(call);
    assert.equal(sdpMedia(res.body).port, toAlice.port, 'the same media after the answer');
    const before = alice.rtpIn.length;
    for (let i = 25; i < 40; i++) {
        bob.rtp.send(rtpPacket(i, i * 160, 0xb0, 0, Buffer.alloc(160, 0x44)), toBob.port, '127.0.0.1');
        await sleep(20);
    }
    await sleep(200);
    assert.ok(alice.rtpIn.length - before >= 10, 'and the talk after it');
    assert.equal((await alice.bye(call)).status, 200);
    bob.answer(await bob.next((m) => m.method === 'BYE', 5000));
});
