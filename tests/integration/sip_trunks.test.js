// Trunks and numbers (docs/voice.md): a carrier delivers calls to our
// numbers (by its address, or by its own digest credentials) and they reach
// the number's target; people dial out through a trunk only to numbers on
// its allow-list and only in the roles it allows; a trunk's call limit; the
// configuration API and its errors.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {useServer, sleep, api, DEMO_API_KEY} from './lib/server.js';
import {SipUA, sdpMedia, rtpPacket, dtmfPackets} from './lib/sipua.js';
import {EventStream} from './lib/ws.js';

const admin = {apiKey: DEMO_API_KEY};
const md5 = (s) => createHash('md5').update(s).digest('hex');

async function ua(t, port, user, password) {
    const u = await SipUA.open({port, user, password});
    t.after(() => u.close());
    return u;
}

async function put(srv, path, body, status = [200, 201]) {
    const r = await api(srv.url, 'PUT', path, {...admin, body});
    assert.ok([].concat(status).includes(r.status), `${path}: ${r.status} ${r.text}`);
    return r;
}

async function lastCall(srv) {
    const r = await api(srv.url, 'GET', '/v1/calls', admin);
    assert.equal(r.status, 200, r.text);
    return r.json.items[0];
}

test('a call from the carrier to our number hears its announcement; digits are collected', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    await put(srv, '/v1/voice/numbers/+15550198', {
        trunk: 'demo-carrier', target: {kind: 'announcement', text: 'Hello.'}});
    await put(srv, '/v1/voice/numbers/15550199', {
        target: {kind: 'announcement', text: 'Please press a key.', digits: 1, timeoutSeconds: 10}});
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());

    // No credentials: the carrier's address and one of our numbers suffice.
    const carrier = await ua(t, port, '+15559876543');
    const {res, call} = await carrier.invite(`sip:+15550198@127.0.0.1:${port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    carrier.ack(call);
    // The prompt plays, then Switchboard hangs up.
    const bye = await carrier.next((m) => m.method === 'BYE', 15000);
    carrier.answer(bye);
    assert.ok(carrier.rtpIn.length >= 20, `the announcement was heard (${carrier.rtpIn.length} packets)`);
    await sleep(200);
    let rec = await lastCall(srv);
    assert.equal(rec.direction, 'inbound');
    assert.equal(rec.trunk, 'demo-carrier');
    assert.equal(rec.application, 'announcement');
    assert.equal(rec.target, '+15550198');
    assert.equal(rec.callerUserId, null);
    assert.equal(rec.endedBy, 'system');

    // A number written without '+' is the same number; one digit ends it.
    const c2 = await carrier.invite(`sip:+15550199@127.0.0.1:${port}`);
    assert.equal(c2.res.status, 200, `${c2.res.status} ${c2.res.reason}`);
    carrier.ack(c2.call);
    const media = sdpMedia(c2.res.body);
    await sleep(300);
    const telev = media.pts.includes(101) ? 101 : media.pts.find((p) => p >= 96);
    for (const p of dtmfPackets('7', 100, 16000, 0x77, telev)) {
        carrier.rtp.send(p, media.port, '127.0.0.1');
        await sleep(20);
    }
    const got = await events.next((m) => m.type === 'event' && m.event.type === 'callDigits', {timeoutMs: 10000});
    assert.equal(got.event.data.digits, '7');
    assert.equal(got.event.data.reason, 'max');
    const bye2 = await carrier.next((m) => m.method === 'BYE', 5000);
    carrier.answer(bye2);
});

test('the carrier cannot reach extensions or dial out without credentials', async (t) => {
    const srv = await useServer(t);
    const carrier = await ua(t, srv.sip.port, '+15559876543');
    for (const target of ['1002', '+15550123', '*43']) {
        carrier.request('INVITE', `sip:${target}@127.0.0.1:${srv.sip.port}`, {
            callId: `c-${target}`, fromTag: 'f1', cseq: 1, body: carrier.offer(), ctype: 'application/sdp'});
        const res = await carrier.next((m) => m.status >= 200);
        assert.equal(res.status, 407, `${target}: ${res.status} ${res.reason}`);
    }
});

test('dialling out goes through the trunk that allows the number, for the roles it allows', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    // The carrier's far end: challenges the first INVITE, then answers.
    const far = await ua(t, port, 'carrier');
    await put(srv, '/v1/voice/trunks/test-carrier', {
        outbound: {uri: `sip:127.0.0.1:${far.port}`, username: 'acct-7', password: 'secret-7',
                   callerId: '+15550100', allow: ['+1666NXXXXXX'], roles: ['agent']},
        maxCalls: 1,
    });
    const alice = await ua(t, port, '1001', 'demo-alice');
    const pending = alice.invite(`sip:+16665550123@127.0.0.1:${port}`);
    const inv1 = await far.next((m) => m.method === 'INVITE', 5000);
    assert.match(inv1.headers.from[0], /\+15550100/, 'our caller id');
    far.answer(inv1, 407, 'Proxy Authentication Required', {toTag: 'ft1',
        extra: 'Proxy-Authenticate: Digest realm="carrier.example", nonce="abc123", algorithm=MD5'});
    const inv2 = await far.next((m) => m.method === 'INVITE', 5000);
    const auth = inv2.headers['proxy-authorization']?.[0] || '';
    const param = (k) => new RegExp(`${k}="?([^",]+)"?`).exec(auth)?.[1];
    assert.equal(param('username'), 'acct-7');
    const uri = param('uri');
    assert.match(uri, /^sip:\+16665550123@127\.0\.0\.1:/, 'the number in the Request-URI');
    const expect = md5(`${md5('acct-7:carrier.example:secret-7')}:abc123:${md5(`INVITE:${uri}`)}`);
    assert.equal(param('response'), expect, 'the trunk password answers the challenge');
    far.answer(inv2, 180, 'Ringing', {toTag: 'ft2'});
    await sleep(100);
    far.answer(inv2, 200, 'OK', {toTag: 'ft2', body: far.offer([0, 101])});
    const {res, call} = await pending;
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    alice.ack(call);
    const toFar = sdpMedia(inv2.body), toAlice = sdpMedia(res.body);
    for (let i = 0; i < 20; i++) {
        alice.rtp.send(rtpPacket(i, i * 160, 0xa1, toAlice.pts[0], Buffer.alloc(160, 0x11)), toAlice.port, '127.0.0.1');
        far.rtp.send(rtpPacket(i, i * 160, 0xf0, 0, Buffer.alloc(160, 0x22)), toFar.port, '127.0.0.1');
        await sleep(20);
    }
    await sleep(200);
    assert.ok(far.rtpIn.length >= 15, `the far end hears alice (${far.rtpIn.length})`);
    assert.ok(alice.rtpIn.length >= 15, `alice hears the far end (${alice.rtpIn.length})`);

    // The trunk carries one call at a time: a second is refused.
    const bob = await ua(t, port, '1002', 'demo-bob');
    const busy = await bob.invite(`sip:+16665550124@127.0.0.1:${port}`);
    assert.equal(busy.res.status, 503, `${busy.res.status} ${busy.res.reason}`);

    // The far end hangs up: alice gets BYE.
    far.request('BYE', `sip:1001@127.0.0.1:${port}`, {callId: inv2.headers['call-id'][0],
        fromTag: 'ft2', toTag: /tag=([^;>\s]+)/.exec(inv2.headers.from[0])[1], cseq: 1});
    const bye = await alice.next((m) => m.method === 'BYE', 5000);
    alice.answer(bye);
    await sleep(300);
    const rec = await lastCall(srv);
    assert.equal(rec.direction, 'outbound');
    assert.equal(rec.trunk, 'test-carrier');
    assert.equal(rec.application, 'outbound');
    assert.equal(rec.endedBy, 'callee');

    // Not on any allow-list: 404. Allowed, but not for an expert: 403.
    const nowhere = await alice.invite(`sip:+19005550123@127.0.0.1:${port}`);
    assert.equal(nowhere.res.status, 404);
    const erin = await ua(t, port, '2001', 'demo-erin');
    const expert = await erin.invite(`sip:+16665550123@127.0.0.1:${port}`);
    assert.equal(expert.res.status, 403, `${expert.res.status} ${expert.res.reason}`);
    await sleep(200);
    assert.ok(srv.logs().some((l) => /msg="dialling out refused"/.test(l)));

    // The carrier's refusal reaches the caller as it is.
    const again = alice.invite(`sip:+16665550125@127.0.0.1:${port}`);
    const inv3 = await far.next((m) => m.method === 'INVITE', 5000);
    far.answer(inv3, 486, 'Busy Here', {toTag: 'ft3'});
    assert.equal((await again).res.status, 486);
});

test('a trunk may authenticate with digest credentials of its own', async (t) => {
    const srv = await useServer(t);
    const port = srv.sip.port;
    // The demo carrier keeps only its outbound side: 127.0.0.1 is no
    // longer trusted by address.
    const demo = (await api(srv.url, 'GET', '/v1/voice/trunks/demo-carrier', admin)).json;
    delete demo.inbound;
    await put(srv, '/v1/voice/trunks/demo-carrier', demo, 200);
    await put(srv, '/v1/voice/trunks/digest-carrier', {inbound: {username: 'carrier-7', password: 'pw-7'}});
    await put(srv, '/v1/voice/numbers/+15550197', {trunk: 'digest-carrier',
        target: {kind: 'application', application: 'echo'}});
    const anon = await ua(t, port, 'nobody');
    anon.request('INVITE', `sip:+15550197@127.0.0.1:${port}`, {callId: 'x1', fromTag: 'f', cseq: 1,
        body: anon.offer(), ctype: 'application/sdp'});
    assert.equal((await anon.next((m) => m.status >= 200)).status, 407);
    const wrong = await ua(t, port, 'carrier-7', 'not-it');
    assert.equal((await wrong.invite(`sip:+15550197@127.0.0.1:${port}`)).res.status, 403);
    const good = await ua(t, port, 'carrier-7', 'pw-7');
    const {res, call} = await good.invite(`sip:+15550197@127.0.0.1:${port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    good.ack(call);
    assert.equal((await good.bye(call)).status, 200);
    await sleep(200);
    const rec = await lastCall(srv);
    assert.equal(rec.trunk, 'digest-carrier');
    assert.equal(rec.application, 'echo');
    // The trunk's credentials reach numbers only, not extensions.
    assert.equal((await good.invite(`sip:1002@127.0.0.1:${port}`)).res.status, 404);
});

test('trunks and numbers through the API: validation, use, roles', async (t) => {
    const srv = await useServer(t);
    const bad = async (path, body, re) => {
        const r = await api(srv.url, 'PUT', path, {...admin, body});
        assert.equal(r.status, 422, `${path}: ${r.status} ${r.text}`);
        assert.match(r.json.error.message, re);
    };
    await bad('/v1/voice/trunks/t1', {outbound: {uri: 'sip:+1555@carrier.example', allow: ['+1X.']}},
              /without a user part/);
    await bad('/v1/voice/trunks/t1', {outbound: {uri: 'sip:carrier.example', allow: ['+1.X']}},
              /may only end a pattern/);
    await bad('/v1/voice/trunks/t1', {outbound: {uri: 'sip:carrier.example', allow: ['+1X.'], roles: ['boss']}},
              /admin/);
    await bad('/v1/voice/trunks/t1', {inbound: {addresses: ['10.0.0.0/40']}}, /prefix length/);
    await bad('/v1/voice/trunks/t1', {description: 'nothing'}, /inbound .* or outbound/);
    await bad('/v1/voice/trunks/t1', {outbound: {uri: 'sip:carrier.example', allow: ['+1X.'], username: 'u'}},
              /together/);
    await bad('/v1/voice/numbers/+15550111', {target: {kind: 'announcement'}}, /text.*file/);
    await bad('/v1/voice/numbers/+15550111', {target: {kind: 'extension'}}, /needs "extension"/);
    await bad('/v1/voice/numbers/555-0111', {target: {kind: 'application', application: 'echo'}}, /phone number/);
    await bad('/v1/voice/numbers/+15550111', {trunk: 'nope', target: {kind: 'application', application: 'echo'}},
              /no trunk has this name/);
    // An external target must be one a trunk dials out (the demo's allows +1555XXXXXXX).
    await bad('/v1/voice/numbers/+15550111', {target: {kind: 'external', number: '+4420795501'}},
              /number \+15550111: target leads to \+4420795501, which no trunk dials out/);
    await put(srv, '/v1/voice/numbers/+15550111', {target: {kind: 'external', number: '+15555550123'}}, 201);
    const narrower = (await api(srv.url, 'GET', '/v1/voice/trunks/demo-carrier', admin)).json;
    narrower.outbound.allow = ['+1555555XXXX'];
    await put(srv, '/v1/voice/trunks/demo-carrier', narrower, 200);
    narrower.outbound.allow = ['+1555444XXXX'];
    await bad('/v1/voice/trunks/demo-carrier', narrower, /leads to \+15555550123, which no trunk dials out/);
    assert.equal((await api(srv.url, 'DELETE', '/v1/voice/numbers/+15550111', admin)).status, 204);

    await put(srv, '/v1/voice/trunks/t1', {inbound: {addresses: ['192.0.2.0/24', '::1']}}, 201);
    const del = await api(srv.url, 'DELETE', '/v1/voice/trunks/demo-carrier', admin);
    assert.equal(del.status, 409, 'a number names it');
    assert.equal((await api(srv.url, 'DELETE', '/v1/voice/trunks/t1', admin)).status, 204);
    assert.equal((await api(srv.url, 'DELETE', '/v1/voice/trunks/t1', admin)).status, 404);

    // Trunks hold the carrier's credentials: admins only. Numbers: leads.
    const {login} = await import('./lib/server.js');
    const maria = await login(srv.url, 'maria', 'demo-maria');
    const alice = await login(srv.url, 'alice', 'demo-alice');
    assert.equal((await api(srv.url, 'GET', '/v1/voice/trunks', {token: maria})).status, 403);
    const nums = await api(srv.url, 'GET', '/v1/voice/numbers', {token: maria});
    assert.equal(nums.status, 200);
    assert.deepEqual(nums.json.items.map((n) => n.number), ['+15550100', '+15550101', '+15550102', '+15550103']);
    assert.equal((await api(srv.url, 'GET', '/v1/voice/numbers', {token: alice})).status, 403);
    assert.equal((await api(srv.url, 'PUT', '/v1/voice/numbers/+15550112', {token: maria,
        body: {target: {kind: 'application', application: 'echo'}}})).status, 403);
    const trunks = await api(srv.url, 'GET', '/v1/voice/trunks', admin);
    assert.deepEqual(trunks.json.items.map((x) => x.name), ['demo-carrier']);
});
