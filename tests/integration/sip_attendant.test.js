// Auto attendants (docs/voice.md): a number leads to an attendant whose
// menu sends callers by key to a call queue, an announcement, the menu
// again, a person by extension or the operator; no input and wrong keys
// repeat the menu, then the default; after hours and a holiday have flows
// of their own (schedules relative to today, so no clock is faked); the
// configuration is checked as a whole.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {useServer, sleep, api, DEMO_API_KEY} from './lib/server.js';
import {SipUA} from './lib/sipua.js';
import {EventStream} from './lib/ws.js';

const admin = {apiKey: DEMO_API_KEY};

const MENU = {
    id: 't1',
    open: {
        greeting: {text: 'Welcome.'},
        menu: {
            prompt: {text: 'Press one for support, or two for news.'},
            options: [
                {key: '1', say: ['support'], target: {kind: 'callQueue', callQueue: 'support'}},
                {key: '2', announcement: {text: 'No news.'}},
                {key: '*', repeat: true},
            ],
            operator: {kind: 'person', user: 'bob'},
            dialByExtension: true,
            retries: 1,
            inputSeconds: 2,
            default: {kind: 'disconnect'},
        },
    },
};

async function setup(t, attendant = MENU) {
    const srv = await useServer(t);
    let r = await api(srv.url, 'PUT', `/v1/voice/attendants/${attendant.id}`, {...admin, body: attendant});
    assert.equal(r.status, 201, r.text);
    r = await api(srv.url, 'PUT', '/v1/voice/numbers/+15550120', {...admin,
        body: {target: {kind: 'attendant', attendant: attendant.id}}});
    assert.equal(r.status, 201, r.text);
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    return {srv, events};
}

async function phone(t, port, user, password) {
    const ua = await SipUA.open({port, user, password});
    t.after(() => ua.close());
    assert.equal((await ua.register()).status, 200);
    ua.autoAnswer();
    return ua;
}

async function dialIn(t, srv) {
    const caller = await SipUA.open({port: srv.sip.port, user: '+15559870009'});
    t.after(() => caller.close());
    const {res, call} = await caller.invite(`sip:+15550120@127.0.0.1:${srv.sip.port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    caller.ack(call);
    return {caller, call};
}

const next = (events, type, timeoutMs = 15000) =>
    events.next((m) => m.type === 'event' && m.event.type === type, {timeoutMs});

async function rung(ua, ms = 15000) {
    for (let i = 0; i < ms / 50 && !ua.seen.some((m) => m.method === 'INVITE'); i++) await sleep(50);
    return ua.seen.find((m) => m.method === 'INVITE');
}

test('keys lead to an announcement, back to the menu, then to a call queue', async (t) => {
    const {srv, events} = await setup(t);
    const carol = await phone(t, srv.sip.port, '1003', 'demo-carol');
    const {caller, call} = await dialIn(t, srv);
    const entered = await next(events, 'attendantEntered');
    assert.equal(entered.event.data.flow, 'open');
    await sleep(300);
    assert.equal((await caller.info(call, '2')).status, 200);
    const news = await next(events, 'attendantOption');
    assert.deepEqual([news.event.data.key, news.event.data.target], ['2', 'announcement']);
    await sleep(500);
    assert.equal((await caller.info(call, '1')).status, 200);
    const support = await next(events, 'attendantOption');
    assert.deepEqual([support.event.data.key, support.event.data.target], ['1', 'callQueue']);
    const queued = await next(events, 'queueEntered');
    assert.equal(queued.event.data.callQueue, 'support');
    assert.ok(await rung(carol, 20000), 'carol, a support agent, is rung');
    await next(events, 'queueAnswered');
    assert.equal((await caller.bye(call)).status, 200);
});

test('dialling an extension and the operator ring that person', async (t) => {
    const {srv, events} = await setup(t);
    const bob = await phone(t, srv.sip.port, '1002', 'demo-bob');
    const {caller, call} = await dialIn(t, srv);
    await next(events, 'attendantEntered');
    for (const d of ['1', '0', '0', '2']) assert.equal((await caller.info(call, d)).status, 200);
    const ext = await next(events, 'attendantOption');
    assert.deepEqual([ext.event.data.key, ext.event.data.target], ['1002', 'extension']);
    const inv = await rung(bob);
    assert.match(inv.headers.from[0], /15559870009/);
    assert.equal((await caller.bye(call)).status, 200);

    const second = await dialIn(t, srv);
    await next(events, 'attendantEntered');
    bob.seen.length = 0;
    assert.equal((await second.caller.info(second.call, '0')).status, 200);
    const op = await next(events, 'attendantOption');
    assert.equal(op.event.data.target, 'operator');
    assert.ok(await rung(bob), 'the operator (bob) is rung');
    assert.equal((await second.caller.bye(second.call)).status, 200);
});

test('no input and a wrong key repeat the menu, then the default disconnects', async (t) => {
    const {srv, events} = await setup(t);
    const {caller, call} = await dialIn(t, srv);
    await next(events, 'attendantEntered');
    await sleep(300);
    assert.equal((await caller.info(call, '7')).status, 200);
    const invalid = await next(events, 'attendantInvalid');
    assert.equal(invalid.event.data.input, '7');
    // Then silence: the menu again, no input, and the default (disconnect).
    await next(events, 'attendantNoInput', 20000);
    const bye = await caller.next((m) => m.method === 'BYE', 20000);
    caller.answer(bye);
    await sleep(200);
    const rec = (await api(srv.url, 'GET', '/v1/calls', admin)).json.items[0];
    assert.equal(rec.endReason, 'disconnected');
    void call;
});

function londonDate(offsetDays = 0) {
    const d = new Date(Date.now() + offsetDays * 86400000);
    return new Intl.DateTimeFormat('en-CA', {timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit'}).format(d);
}

function londonWeekday(offsetDays = 0) {
    const d = new Date(Date.now() + offsetDays * 86400000);
    return new Intl.DateTimeFormat('en-GB', {timeZone: 'Europe/London', weekday: 'short'}).format(d).toLowerCase().slice(0, 3);
}

test('after hours and on a holiday the caller gets those flows', async (t) => {
    // Open only two days from now: closed today, whatever the time.
    const closedToday = {
        id: 't2',
        hours: {weekly: {[londonWeekday(2)]: ['09:00-10:00']}},
        open: {target: {kind: 'disconnect'}},
        closed: {greeting: {text: 'We are closed.'}, target: {kind: 'disconnect'}},
    };
    const {srv, events} = await setup(t, closedToday);
    const {caller} = await dialIn(t, srv);
    const entered = await next(events, 'attendantEntered');
    assert.equal(entered.event.data.flow, 'closed');
    caller.answer(await caller.next((m) => m.method === 'BYE', 15000));

    // Open all week, but today is a holiday with a flow of its own.
    const holiday = {
        id: 't2',
        hours: {weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, ['00:00-24:00']])),
                holidays: [{date: londonDate(0), name: 'Test Day'}]},
        open: {target: {kind: 'disconnect'}},
        closed: {target: {kind: 'disconnect'}},
        holidays: [{name: 'Test Day', flow: {greeting: {text: 'Happy test day.'}, target: {kind: 'disconnect'}}}],
    };
    const r = await api(srv.url, 'PUT', '/v1/voice/attendants/t2', {...admin, body: holiday});
    assert.equal(r.status, 200, r.text);
    const again = await dialIn(t, srv);
    const e2 = await next(events, 'attendantEntered');
    assert.equal(e2.event.data.flow, 'Test Day');
    again.caller.answer(await again.caller.next((m) => m.method === 'BYE', 15000));
});

test('attendants are checked as a whole', async (t) => {
    const srv = await useServer(t);
    const bad = async (body, re) => {
        const r = await api(srv.url, 'PUT', '/v1/voice/attendants/x', {...admin, body});
        assert.equal(r.status, 422, r.text);
        assert.match(JSON.stringify(r.json.error), re);
    };
    await bad({open: {greeting: {text: 'Hi.'}}}, /a flow needs a \\"menu\\" or a \\"target\\"/);
    await bad({open: {menu: {prompt: {text: 'Hi.'}, options: [{key: '1'}]}}}, /an option needs one of/);
    await bad({open: {menu: {prompt: {text: 'Hi.'}, options: [{key: '1', target: {kind: 'callQueue'}}]}}},
              /needs \\"callQueue\\"/);
    await bad({open: {menu: {prompt: {text: 'Hi.'}, options: [{key: '11', repeat: true}]}}}, /key/);
    await bad({hours: {weekly: {mon: ['18:00-09:00']}}, open: {target: {kind: 'disconnect'}},
               closed: {target: {kind: 'disconnect'}}}, /hours/);
    await bad({hours: {weekly: {mon: ['09:00-18:00']}}, open: {target: {kind: 'disconnect'}}}, /closed/);
    // Checked with everything else: targets that exist, queues someone could answer, no loop.
    await bad({open: {menu: {prompt: {text: 'Hi.'}, options: [{key: '1', target: {kind: 'callQueue', callQueue: 'nope'}}]}}},
              /open.menu.options\[0\] leads to call queue \\"nope\\", which does not exist/);
    await bad({open: {target: {kind: 'person', user: 'nobody'}}}, /user \\"nobody\\", who does not exist/);
    const put = (path, body) => api(srv.url, 'PUT', path, {...admin, body});
    assert.equal((await put('/v1/voice/attendants/loopa', {open: {target: {kind: 'disconnect'}}})).status, 201);
    assert.equal((await put('/v1/voice/queues/loopq', {queue: 'support',
        noAgents: {target: {kind: 'attendant', attendant: 'loopa'}}})).status, 201);
    const loop = await put('/v1/voice/attendants/loopa', {open: {target: {kind: 'callQueue', callQueue: 'loopq'}}});
    assert.equal(loop.status, 422, loop.text);
    assert.match(loop.json.error.message, /go round forever.*attendant loopa -> call queue loopq -> attendant loopa/);
    const self = await put('/v1/voice/queues/loopq', {queue: 'support', overflow: {callers: 5, target: {kind: 'callQueue', callQueue: 'loopq'}}});
    assert.equal(self.status, 422);
    assert.match(self.json.error.message, /call queue loopq -> call queue loopq/);
    assert.equal((await put('/v1/router/queues/unserved', {distributionPolicyId: 'longest-idle'})).status, 201);
    const unserved = await put('/v1/voice/queues/q9', {queue: 'unserved'});
    assert.equal(unserved.status, 422);
    assert.match(unserved.json.error.message, /no worker with a voice channel serves router queue "unserved"/);
    // The demo's attendant is on the main number; it cannot be deleted while it is.
    assert.equal((await api(srv.url, 'DELETE', '/v1/voice/attendants/main', admin)).status, 409);
    const list = await api(srv.url, 'GET', '/v1/voice/attendants', admin);
    assert.deepEqual(list.json.items.map((a) => a.id), ['loopa', 'main']);
});

test('the operator with no phone takes the caller into their voicemail', async (t) => {
    const {srv, events} = await setup(t);
    const {caller, call} = await dialIn(t, srv);
    await next(events, 'attendantEntered');
    assert.equal((await caller.info(call, '0')).status, 200);
    const op = await next(events, 'attendantOption');
    assert.equal(op.event.data.target, 'operator');
    // bob (the operator) has no phone registered: his voicemail answers.
    const vm = await events.next((m) => m.type === 'event' && m.event.type === 'callRedirected' &&
                                     m.event.data.target.kind === 'voicemail', {timeoutMs: 10000});
    assert.ok(vm.event.data.target.userId);
    await sleep(500);
    assert.equal((await caller.bye(call)).status, 200);
});

test('router and trunk changes that would break the voice configuration are refused whole', async (t) => {
    const srv = await useServer(t);
    const get = async (path) => (await api(srv.url, 'GET', path, admin)).json;
    const put = (path, body) => api(srv.url, 'PUT', path, {...admin, body});
    // bob, then alice, stop serving sales: nobody could answer the sales call queue.
    const alice = await get('/v1/router/workers/alice');
    const spec = (user, queues) => ({user, capacity: 100, queues, available: true,
                                     channels: [{channelId: 'voice', capacityCostPerJob: 100, maxNumberOfJobs: 1}]});
    let r = await put('/v1/router/workers/bob', spec('bob', ['support']));
    assert.equal(r.status, 200, r.text);
    r = await put('/v1/router/workers/alice', spec('alice', ['support']));
    assert.equal(r.status, 422, r.text);
    assert.match(r.json.error.message, /sales/);
    assert.deepEqual((await get('/v1/router/workers/alice')).queues, alice.queues, 'nothing kept');
    r = await api(srv.url, 'DELETE', '/v1/router/workers/alice', admin);
    assert.equal(r.status, 422, r.text);
    assert.equal((await api(srv.url, 'GET', '/v1/router/workers/alice', admin)).status, 200);

    // A number leads out through the only trunk that allows it: that trunk stays.
    r = await put('/v1/voice/trunks/uk', {outbound: {uri: 'sip:127.0.0.1:5999', allow: ['+44Z.']}});
    assert.equal(r.status, 201, r.text);
    r = await put('/v1/voice/numbers/+15550140', {target: {kind: 'external', number: '+442071234567'}});
    assert.equal(r.status, 201, r.text);
    r = await api(srv.url, 'DELETE', '/v1/voice/trunks/uk', admin);
    assert.equal(r.status, 409, r.text);
    assert.match(r.json.error.message, /\+442071234567/);
    assert.equal((await api(srv.url, 'GET', '/v1/voice/trunks/uk', admin)).status, 200);
});
