// The event stream: GET /v1/events over WebSocket. Authentication on
// upgrade, subscribe, live events, resuming with "after", per-role
// visibility, and protocol errors.
import {test, describe, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {startServer, api, login, userByName, demoConfigText, sleep, DEMO_API_KEY, DEMO_YAML} from './lib/server.js';
import {EventStream} from './lib/ws.js';

const admin = {apiKey: DEMO_API_KEY};

describe('event stream', () => {
    let srv;
    const tokens = {};
    const streams = [];
    before(async () => {
        srv = await startServer({config: DEMO_YAML});
        for (const name of ['admin', 'maria', 'alice']) tokens[name] = await login(srv.url, name);
    });
    after(async () => {
        await Promise.all(streams.map((s) => s.close()));
        if (srv) await srv.close();
    });
    const open = async (auth) => {
        const s = await EventStream.open(srv.url, auth);
        streams.push(s);
        return s;
    };
    const createUser = async (name) => {
        const r = await api(srv.url, 'POST', '/v1/users', {...admin, body: {name, role: 'agent'}});
        assert.equal(r.status, 201, r.text);
        return r.json;
    };

    test('an upgrade without credentials, or with bad ones, gets HTTP 401', async () => {
        for (const auth of [{}, {token: 'sbs_bogus'}, {bearer: 'garbage'}]) {
            await assert.rejects(EventStream.open(srv.url, auth), (err) => {
                assert.equal(err.status, 401, err.message);
                assert.match(err.json.error.code, /^(unauthenticated|invalid_token)$/);
                return true;
            });
        }
    });

    test('a plain GET (no upgrade) is refused with a JSON error', async () => {
        const r = await api(srv.url, 'GET', '/v1/events', {token: tokens.admin});
        assert.equal(r.status, 400, r.text);
        assert.equal(r.json.error.code, 'websocket_required');
    });

    test('subscribe, then a created user arrives as user.created', async () => {
        for (const auth of [{token: tokens.admin}, {bearer: tokens.maria}, {apiKey: DEMO_API_KEY}]) {
            const s = await open(auth);
            const sub = await s.subscribe(['users']);
            assert.equal(sub.type, 'subscribed', JSON.stringify(sub));
            assert.deepEqual(sub.topics, ['users']);
            assert.equal(typeof sub.lastSeq, 'number');
            const name = `ev-${Object.keys(auth)[0].toLowerCase()}`;
            const u = await createUser(name);
            const m = await s.next((x) => x.type === 'event' && x.event.type === 'user.created');
            assert.equal(m.event.topic, 'users');
            assert.equal(m.event.subject, u.id);
            assert.ok(m.event.seq > sub.lastSeq, `seq ${m.event.seq} after ${sub.lastSeq}`);
            assert.ok(Date.parse(m.event.time));
            assert.equal(m.event.data.name, name);
            assert.equal(m.event.data.id, u.id);
            await s.close();
        }
    });

    test('topics and after may be given in the URL', async () => {
        const s = await open({token: tokens.admin, query: {topics: 'users'}});
        const sub = await s.nextOfType('subscribed');
        assert.deepEqual(sub.topics, ['users']);
        const u = await createUser('ev-url');
        const m = await s.nextOfType('event');
        assert.equal(m.event.subject, u.id);
        await s.close();
    });

    test('resume: reconnecting with after=lastSeq gives exactly the missed events, then live ones', async () => {
        let s = await open({token: tokens.admin});
        await s.subscribe(['users']);
        const first = await createUser('resume-1');
        const m1 = await s.next((x) => x.type === 'event' && x.event.subject === first.id);
        const lastSeq = m1.event.seq;
        await s.close();

        const missed = [await createUser('resume-2'), await createUser('resume-3')];

        s = await open({token: tokens.admin});
        const sub = await s.subscribe(['users'], lastSeq);
        assert.equal(sub.type, 'subscribed', JSON.stringify(sub));
        assert.ok(sub.lastSeq >= lastSeq + 2);
        const replayed = (await s.drain()).filter((x) => x.type === 'event');
        assert.deepEqual(replayed.map((x) => [x.event.type, x.event.subject]),
                         missed.map((u) => ['user.created', u.id]));
        const seqs = replayed.map((x) => x.event.seq);
        assert.ok(seqs[0] > lastSeq && seqs[1] > seqs[0], `seqs ${seqs}`);

        const live = await createUser('resume-4');
        const m4 = await s.next((x) => x.type === 'event');
        assert.equal(m4.event.subject, live.id);
        assert.ok(m4.event.seq > seqs[1]);
        // nothing else arrived: no duplicates of the replayed events
        assert.deepEqual((await s.drain()).filter((x) => x.type === 'event'), []);
        const all = s.messages.filter((x) => x.type === 'event').map((x) => x.event.seq);
        assert.equal(new Set(all).size, all.length, `duplicates in ${all}`);
        await s.close();
    });

    test('resume while events keep coming: no gap, no duplicate', async () => {
        let s = await open({apiKey: DEMO_API_KEY});
        const sub0 = await s.subscribe(['users']);
        await s.close();
        const created = [];
        // writes run while the second connection subscribes and replays
        const writer = (async () => {
            for (let i = 0; i < 30; i++) created.push((await createUser(`flow-${i}`)).id);
        })();
        await new Promise((r) => setTimeout(r, 20));
        s = await open({apiKey: DEMO_API_KEY});
        await s.subscribe(['users'], sub0.lastSeq);
        await writer;
        await s.next((x) => x.type === 'event' && x.event.subject === created[created.length - 1]);
        const got = s.messages.filter((x) => x.type === 'event');
        assert.deepEqual(got.map((x) => x.event.subject), created);
        const seqs = got.map((x) => x.event.seq);
        for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `order ${seqs}`);
        await s.close();
    });

    test('an agent sees only events about herself', async () => {
        const alice = await userByName(srv.url, 'alice');
        const bob = await userByName(srv.url, 'bob');
        const sa = await open({token: tokens.alice});
        const sm = await open({token: tokens.maria});
        assert.equal((await sa.subscribe(['users'])).type, 'subscribed');
        assert.equal((await sm.subscribe(['users'])).type, 'subscribed');
        let r = await api(srv.url, 'PATCH', `/v1/users/${bob.id}`, {...admin, body: {displayName: 'Bob S.'}});
        assert.equal(r.status, 200);
        r = await api(srv.url, 'PATCH', `/v1/users/${alice.id}`, {...admin, body: {displayName: 'Alice B.'}});
        assert.equal(r.status, 200);
        await createUser('not-alice');

        // the manager sees all three
        await sm.next((x) => x.type === 'event' && x.event.data.name === 'not-alice');
        assert.deepEqual(sm.messages.filter((x) => x.type === 'event').map((x) => x.event.subject).slice(0, 2),
                         [bob.id, alice.id]);
        // alice only her own update
        const m = await sa.next((x) => x.type === 'event');
        assert.equal(m.event.type, 'user.updated');
        assert.equal(m.event.subject, alice.id);
        assert.equal(m.event.data.displayName, 'Alice B.');
        assert.deepEqual((await sa.drain()).filter((x) => x.type === 'event'), []);
        // and a replay from before the updates is filtered the same way
        const sr = await open({token: tokens.alice});
        const first = sm.messages.find((x) => x.type === 'event' && x.event.subject === bob.id);
        await sr.subscribe(['users'], first.event.seq - 1);
        const replayed = (await sr.drain()).filter((x) => x.type === 'event');
        assert.ok(replayed.length >= 1);
        for (const x of replayed) assert.equal(x.event.subject, alice.id, JSON.stringify(x));
    });

    test('protocol errors: unknown topic, forbidden topic, bad after, invalid JSON; ping -> pong', async () => {
        const s = await open({token: tokens.alice});
        let m = await s.subscribe(['nonsense']);
        assert.equal(m.type, 'error');
        assert.equal(m.error.code, 'unknown_topic');
        assert.match(m.error.message, /nonsense/);

        m = await s.subscribe(['settings']);
        assert.equal(m.type, 'error');
        assert.equal(m.error.code, 'forbidden');

        m = await s.subscribe(['users'], -5);
        assert.equal(m.type, 'error');
        assert.equal(m.error.code, 'bad_request');

        s.send('{this is not json');
        m = await s.next();
        assert.equal(m.type, 'error');
        assert.equal(m.error.code, 'invalid_message');

        s.send({type: 'dance'});
        m = await s.next();
        assert.equal(m.type, 'error');

        s.send({type: 'ping'});
        m = await s.next();
        assert.deepEqual(m, {type: 'pong'});
        assert.equal(s.closed, null, 'the connection stays open');

        // a manager may follow settings; the topics list is readable
        const sm = await open({token: tokens.maria});
        assert.equal((await sm.subscribe(['settings', 'users'])).type, 'subscribed');
        const r = await api(srv.url, 'GET', '/v1/events/topics', {token: tokens.alice});
        assert.equal(r.status, 200);
        assert.ok(r.json.topics.includes('users'));
    });
});

describe('streams of sessions that end', () => {
    let srv;
    before(async () => {
        srv = await startServer({configText: demoConfigText({sessions: {ttlSeconds: 2}})});
    });
    after(() => srv && srv.close());

    test('a session that expires while its stream is open closes the stream', async () => {
        const r = await api(srv.url, 'POST', '/v1/sessions', {body: {name: 'maria', password: 'demo-maria'}});
        assert.equal(r.status, 201);
        const s = await EventStream.open(srv.url, {token: r.json.token});
        try {
            assert.equal((await s.subscribe(['users'])).type, 'subscribed');
            await sleep(Math.max(0, Date.parse(r.json.expiresAt) - Date.now()) + 300);
            const c = await api(srv.url, 'POST', '/v1/users', {...admin, body: {name: 'after-expiry', role: 'agent'}});
            assert.equal(c.status, 201);
            const m = await s.next((x) => x.type !== 'pong');
            assert.equal(m.type, 'error', JSON.stringify(m));
            assert.equal(m.error.code, 'token_expired');
            await s.next(() => false, {timeoutMs: 5000}).catch(() => {});
            assert.ok(s.closed, 'the stream is closed');
            assert.equal(s.closed.code, 1008);
            assert.ok(!s.messages.some((x) => x.type === 'event'), 'no event after expiry');
        } finally {
            await s.close();
        }
    });

    test('signing out closes (or silences) the streams of that session', async () => {
        const token = await login(srv.url, 'alice');
        const s = await EventStream.open(srv.url, {token});
        try {
            assert.equal((await s.subscribe(['users'])).type, 'subscribed');
            const out = await api(srv.url, 'DELETE', '/v1/sessions/current', {token});
            assert.equal(out.status, 204);
            const alice = await userByName(srv.url, 'alice');
            const p = await api(srv.url, 'PATCH', `/v1/users/${alice.id}`, {...admin, body: {displayName: 'Signed Out'}});
            assert.equal(p.status, 200);
            // whatever comes (an error, a close), it must not be the event
            await sleep(300);
            const events = s.messages.filter((x) => x.type === 'event');
            assert.deepEqual(events.map((x) => x.event.type), [],
                             'a signed-out token still receives events on its open stream');
        } finally {
            await s.close();
        }
    });
});
