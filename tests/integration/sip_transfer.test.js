// Call transfer by REFER (docs/voice.md): blind from the called side and
// from the calling side, attended (Refer-To with Replaces naming the
// transferor's other call), and the refusals. Every phone is a Node UA on
// 127.0.0.1; audio is checked to flow between the two who remain.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {useServer, sleep, api, userByName, demoConfigText, DEMO_API_KEY} from './lib/server.js';
import {SipUA, sdpMedia, rtpPacket} from './lib/sipua.js';
import {EventStream} from './lib/ws.js';

const uriOf = (h) => /<([^>]+)>/.exec(h)?.[1] || h.trim();
const tagOf = (h) => /tag=([^;>\s]+)/.exec(h)?.[1];

async function phone(t, port, user, password, {auto = true} = {}) {
    const ua = await SipUA.open({port, user, password});
    t.after(() => ua.close());
    assert.equal((await ua.register()).status, 200);
    if (auto) ua.autoAnswer();
    return ua;
}

/* alice (1001) calls bob (1002), who answers: the dialogs on both sides. */
async function aliceCallsBob(t, port) {
    const bob = await phone(t, port, '1002', 'demo-bob', {auto: false});
    const alice = await SipUA.open({port, user: '1001', password: 'demo-alice'});
    t.after(() => alice.close());
    const pending = alice.invite(`sip:1002@127.0.0.1:${port}`);
    const inv = await bob.next((m) => m.method === 'INVITE', 10000);
    bob.answer(inv, 200, 'OK', {toTag: 'bobtag', body: bob.offer([0, 101])});
    const {res, call} = await pending;
    assert.equal(res.status, 200);
    alice.ack(call);
    alice.dialog = {...call, uri: uriOf(res.headers.contact[0])};
    alice.media = sdpMedia(res.body);
    bob.dialog = {callId: inv.headers['call-id'][0], fromTag: 'bobtag', toTag: tagOf(inv.headers.from[0]),
                  cseq: 100, uri: uriOf(inv.headers.contact[0])};
    bob.media = sdpMedia(inv.body);
    bob.autoAnswer();
    return {alice, bob};
}

function refer(ua, referTo) {
    ua.dialog.cseq += 1;
    ua.request('REFER', ua.dialog.uri, {...ua.dialog, extra: referTo === null ? '' : `Refer-To: <${referTo}>\r\n`});
    return ua.next((m) => m.status >= 200 && /REFER/.test(m.headers.cseq[0]));
}

/* x and y hear each other: each sends 20 packets of its own byte. */
async function talk(x, xTo, y, yTo) {
    const before = {x: x.rtpIn.length, y: y.rtpIn.length};
    for (let i = 0; i < 20; i++) {
        x.rtp.send(rtpPacket(i, i * 160, 0x1111, 0, Buffer.alloc(160, 0x5a)), xTo(), '127.0.0.1');
        y.rtp.send(rtpPacket(i, i * 160, 0x2222, 0, Buffer.alloc(160, 0x6b)), yTo(), '127.0.0.1');
        await sleep(20);
    }
    await sleep(300);
    const heard = (ua, from, byte) => ua.rtpIn.slice(from).filter((b) => b.subarray(12).every((v) => v === byte)).length;
    assert.ok(heard(y, before.y, 0x5a) >= 12, `${y.user} hears ${x.user} (${heard(y, before.y, 0x5a)})`);
    assert.ok(heard(x, before.x, 0x6b) >= 12, `${x.user} hears ${y.user} (${heard(x, before.x, 0x6b)})`);
}

/* The NOTIFYs a transferor got: their sipfrag status lines. */
const notified = (ua) => ua.seen.filter((m) => m.method === 'NOTIFY').map((m) => m.body.trim());

test('blind transfer by the called person: the caller ends up talking to the target', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    const carol = await phone(t, port, '1003', 'demo-carol');
    const {alice, bob} = await aliceCallsBob(t, port);
    const r = await refer(bob, `sip:1003@127.0.0.1:${port}`);
    assert.equal(r.status, 202, `${r.status} ${r.reason}`);
    // carol rings (as alice) and answers; bob is told and hung up.
    for (let i = 0; i < 50 && !carol.remote; i++) await sleep(50);
    assert.ok(carol.remote, 'carol was rung');
    assert.match(carol.seen[0].headers.from[0], /1001/, 'carol sees alice calling');
    await talk(alice, () => alice.media.port, carol, () => carol.remote.port);
    assert.deepEqual(notified(bob).slice(0, 2), ['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    for (let i = 0; i < 60 && !bob.seen.some((m) => m.method === 'BYE'); i++) await sleep(50);
    assert.ok(bob.seen.some((m) => m.method === 'BYE'), 'bob, who transferred, is hung up');
    const ev = await events.next((m) => m.type === 'event' && m.event.type === 'callTransferred', {timeoutMs: 5000});
    assert.equal(ev.event.data.answeredBy, (await userByName(srv.url, 'carol')).id);
    // alice hangs up: carol gets BYE; one call record.
    assert.equal((await alice.bye(alice.dialog)).status, 200);
    for (let i = 0; i < 40 && !carol.seen.some((m) => m.method === 'BYE'); i++) await sleep(50);
    assert.ok(carol.seen.some((m) => m.method === 'BYE'));
    const rec = (await api(srv.url, 'GET', '/v1/calls', {apiKey: DEMO_API_KEY})).json.items[0];
    assert.equal(rec.endedBy, 'caller');
    assert.ok(rec.legs.length >= 3, `the legs of alice, bob and carol (${rec.legs.length})`);
});

test('blind transfer by the caller: the called person ends up talking to the target', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const carol = await phone(t, port, '1003', 'demo-carol');
    const {alice, bob} = await aliceCallsBob(t, port);
    alice.autoAnswer();
    const r = await refer(alice, `sip:1003@127.0.0.1:${port}`);
    assert.equal(r.status, 202, `${r.status} ${r.reason}`);
    for (let i = 0; i < 50 && !carol.remote; i++) await sleep(50);
    assert.ok(carol.remote, 'carol was rung');
    assert.match(carol.seen[0].headers.from[0], /1002/, 'carol sees bob calling');
    await talk(bob, () => bob.media.port, carol, () => carol.remote.port);
    for (let i = 0; i < 60 && !alice.seen.some((m) => m.method === 'BYE'); i++) await sleep(50);
    assert.ok(alice.seen.some((m) => m.method === 'BYE'), 'alice, who transferred, is hung up');
});

test('attended transfer: Replaces joins the caller with the transferor\'s other call', async (t) => {
    // Two media threads: the two calls' legs land on different ones, so
    // carol is moved beside alice's leg by a re-INVITE.
    const srv = await useServer(t, {configText: demoConfigText({media: {threads: 2}})});
    const port = srv.sip.port;
    const carol = await phone(t, port, '1003', 'demo-carol');
    const {alice, bob} = await aliceCallsBob(t, port);
    // bob calls carol on a second line (his own INVITE, answering the 407).
    const bob2 = await SipUA.open({port, user: '1002', password: 'demo-bob'});
    t.after(() => bob2.close());
    const second = await bob2.invite(`sip:1003@127.0.0.1:${port}`);
    assert.equal(second.res.status, 200);
    bob2.ack(second.call);
    bob2.autoAnswer();
    for (let i = 0; i < 50 && !carol.remote; i++) await sleep(50);
    const c2 = second.call;
    const replaces = encodeURIComponent(`${c2.callId};to-tag=${c2.toTag};from-tag=${c2.fromTag}`);
    const r = await refer(bob, `sip:1003@127.0.0.1:${port}?Replaces=${replaces}`);
    assert.equal(r.status, 202, `${r.status} ${r.reason}`);
    await sleep(500); // a re-INVITE to carol, when the legs were on different media threads
    await talk(alice, () => alice.media.port, carol, () => carol.remote.port);
    assert.equal(carol.seen.filter((m) => m.method === 'INVITE').length, 2, 'carol was re-INVITEd');
    assert.ok(notified(bob).includes('SIP/2.0 200 OK'));
    for (let i = 0; i < 60 && !(bob.seen.some((m) => m.method === 'BYE') && bob2.seen.some((m) => m.method === 'BYE')); i++)
        await sleep(50);
    assert.ok(bob.seen.some((m) => m.method === 'BYE'), 'bob\'s first line is hung up');
    assert.ok(bob2.seen.some((m) => m.method === 'BYE'), 'bob\'s second line is hung up');
    const calls = (await api(srv.url, 'GET', '/v1/calls', {apiKey: DEMO_API_KEY})).json.items;
    assert.equal(calls.find((c) => c.target === '1003').endReason, 'transferred');
    assert.equal((await alice.bye(alice.dialog)).status, 200);
});

test('transfers that cannot be done are refused', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const {bob} = await aliceCallsBob(t, port);
    assert.equal((await refer(bob, `sip:1999@127.0.0.1:${port}`)).status, 404);
    assert.equal((await refer(bob, `sip:1004@127.0.0.1:${port}`)).status, 480, 'dave has no phone registered');
    assert.equal((await refer(bob, `sip:*43@127.0.0.1:${port}`)).status, 403);
    assert.equal((await refer(bob, null)).status, 400, 'no Refer-To');
    const gone = encodeURIComponent('no-such-call@127.0.0.1;to-tag=a;from-tag=b');
    assert.equal((await refer(bob, `sip:1003@127.0.0.1:${port}?Replaces=${gone}`)).status, 481);
    // The call goes on after the refusals.
    bob.dialog.cseq += 1;
    bob.request('INFO', bob.dialog.uri, {...bob.dialog, body: 'Signal=5\r\n', ctype: 'application/dtmf-relay'});
    assert.equal((await bob.next((m) => m.status >= 200 && /INFO/.test(m.headers.cseq[0]))).status, 200);
});

test('an agent transfers a caller to a call queue by its number', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    const carol = await phone(t, port, '1003', 'demo-carol');
    const {alice, bob} = await aliceCallsBob(t, port);
    // bob sends alice to the support queue's number; carol (support) is rung.
    const r = await refer(bob, `sip:+15550102@127.0.0.1:${port}`);
    assert.equal(r.status, 202, `${r.status} ${r.reason}`);
    const entered = await events.next((m) => m.type === 'event' && m.event.type === 'queueEntered', {timeoutMs: 10000});
    assert.equal(entered.event.data.callQueue, 'support');
    for (let i = 0; i < 300 && !carol.remote; i++) await sleep(50);
    assert.ok(carol.remote, 'carol, a support agent, is rung');
    await events.next((m) => m.type === 'event' && m.event.type === 'queueAnswered', {timeoutMs: 10000});
    await talk(alice, () => alice.media.port, carol, () => carol.remote.port);
    assert.equal((await alice.bye(alice.dialog)).status, 200);
});
