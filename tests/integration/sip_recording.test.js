// Recording a call (docs/voice.md): a manager starts and stops the
// recording of a bridged call through the API; the WAV holds the caller
// on the left channel and the called person on the right, each the tone
// that side sent; the call record and the events say how it went; errors.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {useServer, sleep, api, login, DEMO_API_KEY} from './lib/server.js';
import {SipUA, sdpMedia, rtpPacket} from './lib/sipua.js';
import {EventStream} from './lib/ws.js';
import {tone, share, parseWav} from './lib/audio.js';

const admin = {apiKey: DEMO_API_KEY};

test('a bridged call recorded through the API holds each side\'s audio on its own channel', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const bob = await SipUA.open({port, user: '1002', password: 'demo-bob'});
    t.after(() => bob.close());
    assert.equal((await bob.register()).status, 200);
    const alice = await SipUA.open({port, user: '1001', password: 'demo-alice'});
    t.after(() => alice.close());
    const pending = alice.invite(`sip:1002@127.0.0.1:${port}`);
    const inv = await bob.next((m) => m.method === 'INVITE', 10000);
    bob.answer(inv, 200, 'OK', {toTag: 'bobtag', body: bob.offer([0, 101])});
    const {res, call} = await pending;
    assert.equal(res.status, 200);
    alice.ack(call);
    const toAlice = sdpMedia(res.body), toBob = sdpMedia(inv.body);
    const callId = (await api(srv.url, 'GET', '/v1/calls', admin)).json.items[0].id;
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());

    // An agent may not record; a manager may.
    const aliceToken = await login(srv.url, 'alice', 'demo-alice');
    assert.equal((await api(srv.url, 'POST', `/v1/calls/${callId}/recording`, {token: aliceToken})).status, 403);
    const maria = await login(srv.url, 'maria', 'demo-maria');
    const start = await api(srv.url, 'POST', `/v1/calls/${callId}/recording`, {token: maria});
    assert.equal(start.status, 202, start.text);
    await events.next((m) => m.type === 'event' && m.event.type === 'callRecordingStarted', {timeoutMs: 5000});

    // alice sends 440 Hz, bob 1000 Hz, for 1.5 s.
    for (let i = 0; i < 75; i++) {
        alice.rtp.send(rtpPacket(i, i * 160, 0xa1, 0, tone(440, i)), toAlice.port, '127.0.0.1');
        bob.rtp.send(rtpPacket(i, i * 160, 0xb0, 0, tone(1000, i)), toBob.port, '127.0.0.1');
        await sleep(20);
    }
    await sleep(200);
    const stop = await api(srv.url, 'DELETE', `/v1/calls/${callId}/recording`, {token: maria});
    assert.equal(stop.status, 202, stop.text);
    const done = await events.next((m) => m.type === 'event' && m.event.type === 'callRecorded', {timeoutMs: 5000});
    assert.equal(done.event.data.state, 'done');
    assert.ok(done.event.data.durationMs >= 1000, `recorded ${done.event.data.durationMs} ms`);

    const wav = await fetch(`${srv.url}/v1/calls/${callId}/recording`, {headers: {authorization: `Bearer ${DEMO_API_KEY}`}});
    assert.equal(wav.status, 200);
    assert.equal(wav.headers.get('content-type'), 'audio/wav');
    const {fmt, left, right} = parseWav(Buffer.from(await wav.arrayBuffer()));
    assert.deepEqual(fmt, {channels: 2, rate: 8000, bits: 16});
    assert.ok(left.length >= 8000, `${left.length} frames`);
    // Each channel is its side's tone, and not the other's.
    const mid = (ch) => ch.slice(Math.floor(ch.length / 4), Math.floor((ch.length * 3) / 4));
    const l440 = share(mid(left), 440), l1000 = share(mid(left), 1000);
    const r440 = share(mid(right), 440), r1000 = share(mid(right), 1000);
    assert.ok(l440 > 0.5 && l1000 < 0.05, `left is alice's 440 Hz (${l440.toFixed(2)} vs ${l1000.toFixed(2)})`);
    assert.ok(r1000 > 0.5 && r440 < 0.05, `right is bob's 1000 Hz (${r1000.toFixed(2)} vs ${r440.toFixed(2)})`);

    assert.equal((await alice.bye(call)).status, 200);
    bob.answer(await bob.next((m) => m.method === 'BYE', 5000));
    await sleep(200);
    const rec = (await api(srv.url, 'GET', '/v1/calls', admin)).json.items[0];
    assert.equal(rec.recording.state, 'done');
    // Only calls in progress can be recorded; unknown ids are 404.
    assert.equal((await api(srv.url, 'POST', `/v1/calls/${callId}/recording`, admin)).status, 404);
    assert.equal((await api(srv.url, 'GET', '/v1/calls/call_nosuch/recording', admin)).status, 404);
    assert.equal((await api(srv.url, 'GET', '/v1/calls/..%2F..%2Fswitchboard.db/recording', admin)).status, 404);
});

test('a call hung up while it is recorded leaves a complete file', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const alice = await SipUA.open({port, user: '1001', password: 'demo-alice'});
    t.after(() => alice.close());
    const {res, call} = await alice.invite(`sip:*43@127.0.0.1:${port}`);
    assert.equal(res.status, 200);
    alice.ack(call);
    const media = sdpMedia(res.body);
    const callId = (await api(srv.url, 'GET', '/v1/calls', admin)).json.items[0].id;
    assert.equal((await api(srv.url, 'POST', `/v1/calls/${callId}/recording`, admin)).status, 202);
    for (let i = 0; i < 40; i++) {
        alice.rtp.send(rtpPacket(i, i * 160, 0xa1, 0, tone(440, i)), media.port, '127.0.0.1');
        await sleep(20);
    }
    assert.equal((await alice.bye(call)).status, 200);
    let rec;
    for (let i = 0; i < 40; i++) {
        rec = (await api(srv.url, 'GET', '/v1/calls', admin)).json.items[0];
        if (rec.recording?.state === 'done') break;
        await sleep(100);
    }
    assert.equal(rec.recording.state, 'done', JSON.stringify(rec.recording));
    assert.equal(rec.recording.reason, 'closed');
    const wav = await fetch(`${srv.url}/v1/calls/${callId}/recording`, {headers: {authorization: `Bearer ${DEMO_API_KEY}`}});
    const {fmt, left} = parseWav(Buffer.from(await wav.arrayBuffer()));
    assert.equal(fmt.channels, 1, 'mono: the echo test is not bridged');
    assert.ok(share(left.slice(2000, 5000), 440) > 0.5, 'the caller\'s tone');
});
