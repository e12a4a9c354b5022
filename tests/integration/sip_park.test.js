// Call park (docs/voice.md): an agent parks the caller by a blind transfer
// to *7 or through the API; the orbit is spoken to the agent and sent in
// an event; the caller hears music; dialling the orbit takes the call
// over; an unclaimed call rings the agent back.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {useServer, sleep, api, login, demoConfigText, DEMO_API_KEY} from './lib/server.js';
import {SipUA, sdpMedia, rtpPacket} from './lib/sipua.js';
import {EventStream} from './lib/ws.js';

const uriOf = (h) => /<([^>]+)>/.exec(h)?.[1] || h.trim();
const tagOf = (h) => /tag=([^;>\s]+)/.exec(h)?.[1];

async function phone(t, port, user, password) {
    const ua = await SipUA.open({port, user, password});
    t.after(() => ua.close());
    assert.equal((await ua.register()).status, 200);
    ua.autoAnswer();
    return ua;
}

/* alice (1001) calls bob (1002), whose phone answers by itself. */
async function aliceCallsBob(t, port) {
    const bob = await phone(t, port, '1002', 'demo-bob');
    const alice = await SipUA.open({port, user: '1001', password: 'demo-alice'});
    t.after(() => alice.close());
    const {res, call} = await alice.invite(`sip:1002@127.0.0.1:${port}`);
    assert.equal(res.status, 200);
    alice.ack(call);
    alice.dialog = {...call, uri: uriOf(res.headers.contact[0])};
    alice.media = sdpMedia(res.body);
    const inv = bob.seen.find((m) => m.method === 'INVITE');
    bob.dialog = {callId: inv.headers['call-id'][0], fromTag: `t-${bob.user}`, toTag: tagOf(inv.headers.from[0]),
                  cseq: 100, uri: uriOf(inv.headers.contact[0])};
    return {alice, bob};
}

const event = (events, type, ms = 10000) =>
    events.next((m) => m.type === 'event' && m.event.type === type, {timeoutMs: ms});

test('parked by a transfer to *7, the orbit is spoken, and whoever dials it takes the call', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    const {alice, bob} = await aliceCallsBob(t, port);
    bob.dialog.cseq += 1;
    bob.request('REFER', bob.dialog.uri, {...bob.dialog, extra: `Refer-To: <sip:*7@127.0.0.1:${port}>\r\n`});
    const r = await bob.next((m) => m.status >= 200 && /REFER/.test(m.headers.cseq[0]));
    assert.equal(r.status, 202);
    const parked = await event(events, 'callParked');
    assert.equal(parked.event.data.orbit, 701);
    // bob hears the orbit, then is hung up; alice hears music meanwhile.
    const bobBefore = bob.rtpIn.length, aliceBefore = alice.rtpIn.length;
    for (let i = 0; i < 140 && !bob.seen.some((m) => m.method === 'BYE'); i++) await sleep(50);
    assert.ok(bob.seen.some((m) => m.method === 'BYE'), 'bob is hung up');
    assert.ok(bob.rtpIn.length - bobBefore > 20, `bob heard the orbit (${bob.rtpIn.length - bobBefore} packets)`);
    assert.ok(alice.rtpIn.length - aliceBefore > 50, 'alice hears music on hold');

    // carol dials 701 and talks with alice; 702 has nobody.
    const carol = await SipUA.open({port, user: '1003', password: 'demo-carol'});
    t.after(() => carol.close());
    assert.equal((await carol.invite(`sip:702@127.0.0.1:${port}`)).res.status, 404);
    const {res, call} = await carol.invite(`sip:701@127.0.0.1:${port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    carol.ack(call);
    await event(events, 'callRetrieved');
    const toCarol = sdpMedia(res.body);
    await sleep(300);
    const a0 = alice.rtpIn.length, c0 = carol.rtpIn.length;
    for (let i = 0; i < 25; i++) {
        alice.rtp.send(rtpPacket(i, i * 160, 0xa1, 0, Buffer.alloc(160, 0x5a)), alice.media.port, '127.0.0.1');
        carol.rtp.send(rtpPacket(i, i * 160, 0xc3, 0, Buffer.alloc(160, 0x6b)), toCarol.port, '127.0.0.1');
        await sleep(20);
    }
    await sleep(300);
    const heard = (ua, from, b) => ua.rtpIn.slice(from).filter((p) => p.subarray(12).every((v) => v === b)).length;
    assert.ok(heard(carol, c0, 0x5a) >= 15, 'carol hears alice');
    assert.ok(heard(alice, a0, 0x6b) >= 15, 'alice hears carol');
    assert.equal((await carol.bye(call)).status, 200);
    alice.answer(await alice.next((m) => m.method === 'BYE', 5000));
});

test('parked through the API, an unclaimed call rings the agent back', async (t) => {
    const srv = await useServer(t, {configText: demoConfigText({sip: {parkSeconds: 10}})});
    const port = srv.sip.port;
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    const {alice, bob} = await aliceCallsBob(t, port);
    const callId = (await api(srv.url, 'GET', '/v1/calls', {apiKey: DEMO_API_KEY})).json.items[0].id;
    const carolToken = await login(srv.url, 'carol', 'demo-carol');
    assert.equal((await api(srv.url, 'POST', `/v1/calls/${callId}/park`, {token: carolToken})).status, 403);
    const bobToken = await login(srv.url, 'bob', 'demo-bob');
    const r = await api(srv.url, 'POST', `/v1/calls/${callId}/park`, {token: bobToken});
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.orbit, 701);
    for (let i = 0; i < 140 && !bob.seen.some((m) => m.method === 'BYE'); i++) await sleep(50);
    assert.ok(bob.seen.some((m) => m.method === 'BYE'), 'bob is hung up after hearing the orbit');
    // Nobody takes it: after 10 s bob's phone rings again and he is bridged with alice.
    const invites = () => bob.seen.filter((m) => m.method === 'INVITE').length;
    for (let i = 0; i < 300 && invites() < 2; i++) await sleep(50);
    assert.equal(invites(), 2, 'bob is rung back');
    assert.equal((await api(srv.url, 'POST', `/v1/calls/${callId}/park`, {apiKey: DEMO_API_KEY})).status, 200,
                 'a manager may park it again');
    assert.equal((await api(srv.url, 'POST', '/v1/calls/call_nosuch/park', {apiKey: DEMO_API_KEY})).status, 404);
    assert.equal((await alice.bye(alice.dialog)).status, 200);
});
