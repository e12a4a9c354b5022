// Voicemail (docs/voice.md): a carrier's caller leaves a message in the
// demo's shared box "billing" (+15550103); it is listed with its duration,
// its WAV holds what was said; members mark it read and delete it, others
// get 403; a call with nothing said leaves nothing; *98 by phone (a wrong
// PIN, then the right one; the message plays; 3 deletes it); a phone
// subscribed to message-summary hears yes, then no.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {useServer, sleep, api, login, DEMO_API_KEY} from './lib/server.js';
import {SipUA, sdpMedia, rtpPacket} from './lib/sipua.js';
import {EventStream} from './lib/ws.js';
import {tone, silence, share, parseWav, unulaw} from './lib/audio.js';

const admin = {apiKey: DEMO_API_KEY};
const SLOW = 30000; // prompts are rendered by flite the first time

async function ua(t, port, user, password) {
    const u = await SipUA.open({port, user, password});
    t.after(() => u.close());
    return u;
}

async function lastCallId(srv) {
    return (await api(srv.url, 'GET', '/v1/calls', admin)).json.items[0].id;
}

/* Call number as the carrier; resolves once the beep has gone and the
 * caller is being recorded. */
async function callVoicemail(srv, carrier, number) {
    const {res, call} = await carrier.invite(`sip:${number}@127.0.0.1:${srv.sip.port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    carrier.ack(call);
    const id = await lastCallId(srv);
    await srv.waitForLog((l) => l.includes('voicemail recording') && l.includes(id), SLOW);
    return {call, media: sdpMedia(res.body), id};
}

/* packets of 20 ms: a 440 Hz tone, then silence. */
async function speak(carrier, media, tonePackets, quietPackets) {
    for (let i = 0; i < tonePackets + quietPackets; i++) {
        const payload = i < tonePackets ? tone(440, i) : silence();
        carrier.rtp.send(rtpPacket(i, i * 160, 0xca11, 0, payload), media.port, '127.0.0.1');
        await sleep(20);
    }
}

const isEvent = (type) => (m) => m.type === 'event' && m.event.type === type;

test('a caller leaves a message in a shared box; its members read and delete it', async (t) => {
    const srv = await useServer(t);
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'voicemail'}});
    t.after(() => events.close());
    const carrier = await ua(t, srv.sip.port, '+15559876543');

    // Two seconds of tone, then the caller hangs up.
    const {call, media, id: callId} = await callVoicemail(srv, carrier, '+15550103');
    await speak(carrier, media, 100, 0);
    assert.equal((await carrier.bye(call)).status, 200);
    const left = await events.next(isEvent('voicemailLeft'), {timeoutMs: 10000});
    assert.equal(left.event.data.box, 'billing');
    assert.equal(left.event.data.callId, callId);
    const ms = left.event.data.durationMs;
    assert.ok(ms >= 1500 && ms <= 2700, `about the 2 s sent: ${ms} ms`);

    // maria (a member) lists it and downloads the WAV: the tone is in it.
    const maria = {token: await login(srv.url, 'maria', 'demo-maria')};
    const list = await api(srv.url, 'GET', '/v1/voicemail/messages?box=billing', maria);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.items.length, 1);
    const msg = list.json.items[0];
    assert.equal(msg.id, left.event.data.messageId);
    assert.equal(msg.caller, '+15559876543');
    assert.equal(msg.read, false);
    assert.equal(msg.state, 'new');
    assert.equal(msg.boxKind, 'shared');
    const wav = await fetch(`${srv.url}/v1/voicemail/messages/${msg.id}/audio`, {headers: {authorization: `Bearer ${maria.token}`}});
    assert.equal(wav.status, 200);
    assert.equal(wav.headers.get('content-type'), 'audio/wav');
    const {fmt, left: samples} = parseWav(Buffer.from(await wav.arrayBuffer()));
    assert.deepEqual(fmt, {channels: 1, rate: 8000, bits: 16});
    assert.ok(Math.abs(samples.length / 8 - msg.durationMs) < 50, 'the file is as long as the message');
    const mid = samples.slice(Math.floor(samples.length / 4), Math.floor((samples.length * 3) / 4));
    assert.ok(share(mid, 440) > 0.5, `the caller's tone (${share(mid, 440).toFixed(2)})`);

    // bob is no member: 403, and his own list does not show it.
    const bob = {token: await login(srv.url, 'bob', 'demo-bob')};
    assert.equal((await api(srv.url, 'GET', '/v1/voicemail/messages?box=billing', bob)).status, 403);
    assert.equal((await api(srv.url, 'GET', `/v1/voicemail/messages/${msg.id}/audio`, bob)).status, 403);
    assert.equal((await api(srv.url, 'POST', `/v1/voicemail/messages/${msg.id}/read`, bob)).status, 403);
    assert.equal((await api(srv.url, 'DELETE', `/v1/voicemail/messages/${msg.id}`, bob)).status, 403);
    assert.deepEqual((await api(srv.url, 'GET', '/v1/voicemail/messages', bob)).json.items, []);
    assert.equal((await api(srv.url, 'GET', '/v1/voicemail/messages?box=nope', bob)).status, 404);

    // alice (a member) marks it read; the boxes say so.
    const alice = {token: await login(srv.url, 'alice', 'demo-alice')};
    const read = await api(srv.url, 'POST', `/v1/voicemail/messages/${msg.id}/read`, alice);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.json.read, true);
    assert.ok(read.json.heardAt);
    await events.next(isEvent('voicemailRead'), {timeoutMs: 5000});
    const boxes = (await api(srv.url, 'GET', '/v1/voicemail/boxes', alice)).json.items;
    assert.deepEqual(boxes.find((b) => b.box === 'billing'), {box: 'billing', kind: 'shared', name: 'Billing', new: 0, old: 1});
    assert.equal(boxes.find((b) => b.kind === 'personal')?.name, 'Alice Brown');

    // maria deletes it: gone, file too.
    assert.equal((await api(srv.url, 'DELETE', `/v1/voicemail/messages/${msg.id}`, maria)).status, 204);
    await events.next(isEvent('voicemailDeleted'), {timeoutMs: 5000});
    assert.equal((await api(srv.url, 'GET', `/v1/voicemail/messages/${msg.id}`, maria)).status, 404);
    assert.equal((await api(srv.url, 'GET', `/v1/voicemail/messages/${msg.id}/audio`, maria)).status, 404);
    assert.equal((await api(srv.url, 'DELETE', `/v1/voicemail/messages/${msg.id}`, maria)).status, 404);
});

test('a call with nothing said leaves no message', async (t) => {
    const srv = await useServer(t);
    const carrier = await ua(t, srv.sip.port, '+15559876543');
    // Hung up at once, before the greeting ends: nothing is recorded.
    const first = await carrier.invite(`sip:+15550103@127.0.0.1:${srv.sip.port}`);
    assert.equal(first.res.status, 200);
    carrier.ack(first.call);
    assert.equal((await carrier.bye(first.call)).status, 200);
    // Hung up right after the beep, without a word.
    const {call, media, id} = await callVoicemail(srv, carrier, '+15550103');
    await speak(carrier, media, 0, 10);
    assert.equal((await carrier.bye(call)).status, 200);
    await srv.waitForLog((l) => l.includes('voicemail dropped') && l.includes(id), 10000);
    assert.deepEqual((await api(srv.url, 'GET', '/v1/voicemail/messages', admin)).json.items, []);
    assert.deepEqual(srv.logs().filter((l) => l.includes('voicemail left')), []);
});

test('a key pressed before the greeting is ready skips it: nothing is played over the message', async (t) => {
    const srv = await useServer(t);
    const carrier = await ua(t, srv.sip.port, '+15559876543');
    const {res, call} = await carrier.invite(`sip:+15550103@127.0.0.1:${srv.sip.port}`);
    assert.equal(res.status, 200);
    carrier.ack(call);
    const media = sdpMedia(res.body);
    // At once: the greeting is still being spoken by flite.
    assert.equal((await carrier.info(call, '1')).status, 200);
    const id = await lastCallId(srv);
    await srv.waitForLog((l) => l.includes('voicemail recording') && l.includes(id), SLOW);
    // While the caller speaks (silence here), what they hear: the beep's
    // end at most, not the greeting (it is rendered by now).
    carrier.rtpIn = [];
    await speak(carrier, media, 0, 100);
    const heard = received(carrier);
    const loud = heard.filter((v) => Math.abs(v) > 500).length;
    assert.ok(loud < 8000 * 0.2, `${loud} loud samples of ${heard.length} heard while recording`);
    assert.equal((await carrier.bye(call)).status, 200);
});

/* Decoded PCMU of the RTP packets received. */
function received(u) {
    const out = [];
    for (const p of u.rtpIn) {
        if ((p[1] & 0x7f) !== 0) continue;
        for (let i = 12; i < p.length; i++) out.push(unulaw(p[i]));
    }
    return out;
}

/* Has half a second of a 440 Hz tone come in? */
async function hearTone(u, timeoutMs) {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
        const s = received(u);
        for (let i = 0; i + 4000 <= s.length; i += 800) {
            if (share(s.slice(i, i + 4000), 440) > 0.5) return true;
        }
        await sleep(250);
    }
    return false;
}

test('*98 plays a message after the PIN and deletes it with 3; the phone\'s lamp follows', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const put = await api(srv.url, 'PUT', '/v1/voice/numbers/+15550198',
                          {...admin, body: {trunk: 'demo-carrier', target: {kind: 'voicemail', user: 'alice'}}});
    assert.equal(put.status, 201, put.text);
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'voicemail'}});
    t.after(() => events.close());

    // alice's phone subscribes to message-summary: nothing waiting.
    const phone = await ua(t, port, '1001', 'demo-alice');
    const sub = await phone.subscribe(`sip:1001@127.0.0.1:${port}`, 'message-summary');
    assert.equal(sub.res.status, 200, `${sub.res.status} ${sub.res.reason}`);
    const notify = async (pred) => {
        const n = await phone.next((m) => m.method === 'NOTIFY' && pred(m.body), 15000);
        phone.answer(n);
        assert.equal(n.headers.event[0], 'message-summary');
        assert.match(n.headers['content-type'][0], /application\/simple-message-summary/);
        return n;
    };
    const none = await notify(() => true);
    assert.match(none.body, /Messages-Waiting: no/);
    assert.match(none.body, /Voice-Message: 0\/0 \(0\/0\)/);

    // A caller leaves one: 1.5 s of tone, then silence ends it.
    const carrier = await ua(t, port, '+15559876543');
    const c = await callVoicemail(srv, carrier, '+15550198');
    await speak(carrier, c.media, 75, 300);
    const bye = await carrier.next((m) => m.method === 'BYE', SLOW);
    carrier.answer(bye);
    const left = await events.next(isEvent('voicemailLeft'), {timeoutMs: 10000});
    assert.equal(left.event.data.boxKind, 'personal');
    const ms = left.event.data.durationMs;
    assert.ok(ms >= 1400 && ms <= 2500, `the trailing silence is trimmed: ${ms} ms`);
    const yes = await notify((b) => /yes/.test(b));
    assert.match(yes.body, /Voice-Message: 1\/0 \(0\/0\)/);

    // *98: # for her own box, a wrong PIN, then the right one.
    const alice = await ua(t, port, '1001', 'demo-alice');
    const {res, call} = await alice.invite(`sip:*98@127.0.0.1:${port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    alice.ack(call);
    const menuId = await lastCallId(srv);
    const keys = async (s) => {
        for (const d of s) assert.equal((await alice.info(call, d)).status, 200);
    };
    await keys('#');
    await keys('0000#');
    await srv.waitForLog((l) => l.includes('voicemail PIN wrong') && l.includes(menuId), 10000);
    assert.ok(!srv.logs().some((l) => l.includes('voicemail opened')), 'the wrong PIN opened nothing');
    alice.rtpIn = [];
    await keys('1234#');
    await srv.waitForLog((l) => l.includes('voicemail opened') && l.includes(menuId) && l.includes('new=1'), SLOW);
    assert.ok(await hearTone(alice, SLOW), 'the message is played');

    // 3 deletes it; the lamp goes off.
    await keys('3');
    await events.next(isEvent('voicemailDeleted'), {timeoutMs: 10000});
    const off = await notify((b) => /Messages-Waiting: no/.test(b));
    assert.match(off.body, /Voice-Message: 0\/0/);
    assert.deepEqual((await api(srv.url, 'GET', '/v1/voicemail/messages', admin)).json.items, []);
    await keys('*');
    alice.answer(await alice.next((m) => m.method === 'BYE', SLOW));
    const rec = (await api(srv.url, 'GET', '/v1/calls', admin)).json.items.find((x) => x.id === menuId);
    assert.equal(rec.application, 'voicemailMenu');
});

test('*98 with the PIN wrong three times hangs up; shared boxes open for members only', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    const dial98 = async (user, password) => {
        const u = await ua(t, port, user, password);
        const {res, call} = await u.invite(`sip:*98@127.0.0.1:${port}`);
        assert.equal(res.status, 200);
        u.ack(call);
        const keys = async (s) => {
            for (const d of s) assert.equal((await u.info(call, d)).status, 200);
        };
        return {u, call, keys, id: await lastCallId(srv)};
    };
    const a = await dial98('1001', 'demo-alice');
    await a.keys('8000#');
    for (const [i, pin] of ['1111#', '2222#', '3333#'].entries()) {
        await a.keys(pin);
        if (i < 2) await srv.waitForLog((l) => l.includes('voicemail PIN wrong') && l.includes(a.id) && l.includes(`attempts=${i + 1}`), 10000);
    }
    a.u.answer(await a.u.next((m) => m.method === 'BYE', SLOW));
    await srv.waitForLog((l) => l.includes('voicemail PIN refused') && l.includes(a.id), 5000);

    // bob is no member of billing: the box does not open, even with its PIN.
    const b = await dial98('1002', 'demo-bob');
    await b.keys('8000#');
    await b.keys('1234#');
    await sleep(1500);
    assert.ok(!srv.logs().some((l) => l.includes('voicemail opened') && l.includes(b.id)));
    assert.equal((await b.u.bye(b.call)).status, 200);

    // The box's configuration: the PIN's hash is never shown; errors are clear.
    const box = await api(srv.url, 'GET', '/v1/voice/voicemail-boxes/billing', admin);
    assert.equal(box.status, 200);
    assert.equal(box.json.pinHash, undefined);
    assert.equal(box.json.pinSet, true);
    const again = await api(srv.url, 'PUT', '/v1/voice/voicemail-boxes/billing', {...admin, body: box.json});
    assert.equal(again.status, 200, 'what GET shows can be PUT back (the PIN is kept)');
    assert.equal(again.json.pinSet, true);
    const bad = async (path, body, re) => {
        const r = await api(srv.url, 'PUT', path, {...admin, body});
        assert.equal(r.status, 422, r.text);
        assert.match(r.json.error.message, re);
    };
    await bad('/v1/voice/voicemail-boxes/x', {members: ['nobody']}, /no enabled user/);
    await bad('/v1/voice/voicemail-boxes/x', {members: ['maria'], pin: '12a4'}, /PIN of 4 to 12 digits|digits/);
    await bad('/v1/voice/voicemail-boxes/X_1', {members: ['maria']}, /lowercase/);
    await bad('/v1/voice/voicemail-boxes/x', {members: ['maria'], extension: '1001'}, /a user has this extension/);
    await bad('/v1/voice/numbers/+15550111', {target: {kind: 'voicemail'}}, /needs "box" .* or "user"/);
    await bad('/v1/voice/numbers/+15550111', {target: {kind: 'voicemail', box: 'nope'}}, /no voicemail box/);
    const made = await api(srv.url, 'PUT', '/v1/voice/voicemail-boxes/sales', {...admin, body: {members: ['bob'], pin: '4321'}});
    assert.equal(made.status, 201, made.text);
    const inUse = await api(srv.url, 'DELETE', '/v1/voice/voicemail-boxes/billing', admin);
    assert.equal(inUse.status, 409);

    // A person sets their own PIN (digits only).
    const bobToken = {token: await login(srv.url, 'bob', 'demo-bob')};
    assert.equal((await api(srv.url, 'PUT', '/v1/me/voicemail-pin', {...bobToken, body: {pin: '12'}})).status, 422);
    assert.equal((await api(srv.url, 'PUT', '/v1/me/voicemail-pin', {...bobToken, body: {pin: '987654'}})).status, 204);
    assert.equal((await api(srv.url, 'PUT', '/v1/me/voicemail-pin', {...admin, body: {pin: '987654'}})).status, 403);
});
