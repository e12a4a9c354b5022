// Recording a call (docs/voice.md): a manager starts and stops the
// recording of a bridged call through the API; the WAV holds the caller
// on the left channel and the called person on the right, each the tone
// that side sent; the call record and the events say how it went; errors.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {useServer, sleep, api, login, DEMO_API_KEY} from './lib/server.js';
import {SipUA, sdpMedia, rtpPacket, dtmfPackets} from './lib/sipua.js';
import {EventStream} from './lib/ws.js';
import {tone, share, parseWav} from './lib/audio.js';

const admin = {apiKey: DEMO_API_KEY};

async function put(srv, path, body) {
    const r = await api(srv.url, 'PUT', path, {...admin, body});
    assert.ok([200, 201].includes(r.status), `${path}: ${r.status} ${r.text}`);
}

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

/* A phone's RTP: a tone every 20 ms until stopped; digits as RFC 4733
 * events in the same stream. */
function rtpStream(ua, to, hz, ssrc) {
    let seq = 0, ts = 0, stopped = false, paused = false;
    const timer = setInterval(() => {
        if (stopped || paused) return;
        ua.rtp.send(rtpPacket(seq++, ts, ssrc, 0, tone(hz, seq)), to.port, '127.0.0.1');
        ts += 160;
    }, 20);
    return {
        async dtmf(digit) {
            paused = true;
            const pt = to.pts.find((p) => p >= 96);
            for (const p of dtmfPackets(digit, seq, ts, ssrc, pt)) {
                ua.rtp.send(p, to.port, '127.0.0.1');
                await sleep(20);
            }
            seq += 6;
            ts += 960;
            paused = false;
        },
        stop() {
            stopped = true;
            clearInterval(timer);
        },
    };
}

/* A digit by SIP INFO from the side that answered an INVITE of ours. */
function infoFromCallee(ua, inv, toTag) {
    const call = {uri: /<([^>]+)>/.exec(inv.headers.contact[0])[1], callId: inv.headers['call-id'][0],
                  fromTag: toTag, toTag: /tag=([^;>\s]+)/.exec(inv.headers.from[0])[1], cseq: 1};
    return (digit) => ua.info(call, digit);
}

test('the agent presses *1 to record a queue call and again to stop; each recording says what it is of', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    await put(srv, '/v1/voice/queues/noticed', {queue: 'support', recordingAnnouncement: {text: 'This call is being recorded.'}});
    await put(srv, '/v1/voice/numbers/+15550142', {target: {kind: 'callQueue', callQueue: 'noticed'}});
    const next = (type) => events.next((m) => m.type === 'event' && m.event.type === type, {timeoutMs: 20000});
    const carol = await SipUA.open({port, user: '1003', password: 'demo-carol'});
    t.after(() => carol.close());
    assert.equal((await carol.register()).status, 200);
    carol.autoAnswer();
    const caller = await SipUA.open({port, user: '+15559870040'});
    t.after(() => caller.close());
    const {res, call} = await caller.invite(`sip:+15550142@127.0.0.1:${port}`);
    assert.equal(res.status, 200);
    caller.ack(call);
    const answered = await next('queueAnswered');
    const callId = answered.event.data.callId;
    const inv = carol.seen.find((m) => m.method === 'INVITE');
    const fromCaller = rtpStream(caller, sdpMedia(res.body), 440, 0xa1);
    const fromCarol = rtpStream(carol, sdpMedia(inv.body), 1000, 0xc3);
    t.after(() => { fromCaller.stop(); fromCarol.stop(); });
    await sleep(300);

    // *1 as RFC 4733 events from carol's phone: the notice to both, then recording.
    const heardBefore = caller.rtpIn.length;
    await fromCarol.dtmf('*');
    await fromCarol.dtmf('1');
    const started = await next('callRecordingStarted');
    assert.equal(started.event.data.id, callId);
    assert.equal(started.event.data.startedBy, 'phone');
    assert.equal(started.event.data.callQueue, 'noticed');
    assert.equal(started.event.data.agent, 'carol');
    assert.equal(started.event.data.startedByUserId, started.event.data.agentUserId);
    assert.equal(started.event.data.caller, '+15559870040');
    assert.deepEqual(started.event.data.channels, {count: 2, left: 'caller', right: 'agent'});
    // The caller heard the notice (not carol's tone) and never her digits.
    const carolsTone = new Set(Array.from({length: 50}, (_, i) => tone(1000, i).toString('hex')));
    const notice = caller.rtpIn.slice(heardBefore).filter((b) => (b[1] & 0x7f) === 0 &&
                                                          !carolsTone.has(b.subarray(12).toString('hex')));
    assert.ok(notice.length >= 25, `the caller heard the notice (${notice.length} packets)`);
    assert.equal(caller.rtpIn.filter((b) => (b[1] & 0x7f) >= 96).length, 0, 'no telephone-events reach the caller');
    await sleep(1200);

    // *1 by SIP INFO stops it; again starts a second recording.
    const info = infoFromCallee(carol, inv, `t-1003`);
    assert.equal((await info('*')).status, 200);
    assert.equal((await info('1')).status, 200);
    const first = await next('callRecorded');
    assert.equal(first.event.data.id, callId);
    assert.equal(first.event.data.state, 'done');
    assert.equal(first.event.data.reason, 'stopped');
    assert.ok(first.event.data.durationMs >= 800, `${first.event.data.durationMs} ms`);
    // (a key while "Recording stopped." plays cuts it short)
    assert.equal((await info('*')).status, 200);
    assert.equal((await info('1')).status, 200);
    const again = await next('callRecordingStarted');
    assert.equal(again.event.data.id, `${callId}-2`);
    await sleep(1000);
    assert.equal((await caller.bye(call)).status, 200);
    const second = await next('callRecorded');
    assert.equal(second.event.data.id, `${callId}-2`);
    assert.equal(second.event.data.reason, 'closed');

    const list = await api(srv.url, 'GET', `/v1/recordings?callId=${callId}`, admin);
    assert.deepEqual(list.json.items.map((r) => r.id), [`${callId}-2`, callId]);
    assert.ok(list.json.items.every((r) => r.startedBy === 'phone' && r.callQueue === 'noticed'));
    const byQueue = await api(srv.url, 'GET', '/v1/recordings?callQueue=support', admin);
    assert.equal(byQueue.json.items.length, 0);
    const wav = await fetch(`${srv.url}/v1/recordings/${callId}/audio`, {headers: {authorization: `Bearer ${DEMO_API_KEY}`}});
    assert.equal(wav.status, 200);
    const {fmt, left, right} = parseWav(Buffer.from(await wav.arrayBuffer()));
    assert.equal(fmt.channels, 2);
    const mid = (ch) => ch.slice(Math.floor(ch.length / 4), Math.floor((ch.length * 3) / 4));
    assert.ok(share(mid(left), 440) > 0.5, 'left: the caller');
    assert.ok(share(mid(right), 1000) > 0.5, 'right: carol');
    const rec = (await api(srv.url, 'GET', '/v1/calls', admin)).json.items.find((c) => c.id === callId);
    assert.equal(rec.recording.id, `${callId}-2`, 'the call record names its latest recording');
    // Deleting by the call's id deletes both.
    assert.equal((await api(srv.url, 'DELETE', `/v1/recordings/${callId}`, admin)).status, 204);
    assert.equal((await api(srv.url, 'GET', `/v1/recordings?callId=${callId}`, admin)).json.items.length, 0);
});

test('*1 on a call of a queue that never records records nothing', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    await put(srv, '/v1/voice/queues/private', {queue: 'support', recording: 'never'});
    await put(srv, '/v1/voice/numbers/+15550143', {target: {kind: 'callQueue', callQueue: 'private'}});
    const carol = await SipUA.open({port, user: '1003', password: 'demo-carol'});
    t.after(() => carol.close());
    assert.equal((await carol.register()).status, 200);
    carol.autoAnswer();
    const caller = await SipUA.open({port, user: '+15559870041'});
    t.after(() => caller.close());
    const {res, call} = await caller.invite(`sip:+15550143@127.0.0.1:${port}`);
    assert.equal(res.status, 200);
    caller.ack(call);
    let inv;
    for (let i = 0; i < 200 && !inv; i++) {
        inv = carol.seen.find((m) => m.method === 'INVITE');
        await sleep(50);
    }
    assert.ok(inv, 'carol was rung');
    await sleep(300);
    const info = infoFromCallee(carol, inv, 't-1003');
    assert.equal((await info('*')).status, 200);
    assert.equal((await info('1')).status, 200);
    for (let i = 0; i < 100 && !srv.logs().some((l) => /msg="recording key"/.test(l)); i++) await sleep(50);
    assert.ok(srv.logs().some((l) => /msg="recording key"/.test(l)));
    assert.equal((await caller.bye(call)).status, 200);
    await sleep(300);
    const calls = (await api(srv.url, 'GET', '/v1/calls', admin)).json.items;
    assert.equal(calls[0].recording, null);
    assert.equal((await api(srv.url, 'GET', '/v1/recordings', admin)).json.items.length, 0);
});
