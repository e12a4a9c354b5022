// An external bot behind a webhook: a small bot service on 127.0.0.1,
// started by the test, checks each request's HMAC signature and answers in
// the response, later through the API, or hands the chat to a person; when
// it fails, the consumer is told and handed off.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createServer} from 'node:http';
import {createHmac} from 'node:crypto';
import {api, useServer, DEMO_API_KEY, sleep} from './lib/server.js';

const admin = {apiKey: DEMO_API_KEY};
const SECRET = 'bot-secret-for-tests';

async function botService(t, serverUrl) {
    const svc = {requests: [], url: ''};
    const server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
            const expected = 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex');
            const signed = req.headers['x-switchboard-signature'] === expected;
            const msg = JSON.parse(body);
            svc.requests.push({body: msg, signed});
            const text = msg.message.text;
            const reply = (status, obj) => {
                res.writeHead(status, {'Content-Type': 'application/json'});
                res.end(JSON.stringify(obj));
            };
            if (!signed) return reply(401, {});
            if (text === 'fail') return reply(500, {});
            if (text === 'agent please')
                return reply(200, {messages: [{text: 'Passing you to a person.'}], fields: {topic: 'bikes'},
                                   handoff: {queue: 'support', labels: {source: 'ext-bot'}}});
            if (text === 'later') {
                reply(200, {});
                // Answer through the API a moment later, as the bot.
                setTimeout(() => api(serverUrl, 'POST', `/v1/chat/threads/${msg.threadId}/messages`,
                                     {...admin, body: {text: 'Sorry for the wait: here I am.', as: 'bot',
                                                       quickReplies: [{label: 'OK'}]}}), 100);
                return;
            }
            reply(200, {messages: [{text: `Echo: ${text}`, quickReplies: [{label: 'More'}]}]});
        });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    svc.url = `http://127.0.0.1:${server.address().port}/bot`;
    t.after(() => new Promise((r) => server.close(r)));
    return svc;
}

async function waitFor(fn, what, ms = 10000) {
    const end = Date.now() + ms;
    for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(50);
    }
}

test('an external bot answers over a signed webhook, later by API, and hands off', async (t) => {
    const srv = await useServer(t);
    const url = srv.url;
    const svc = await botService(t, url);
    let r = await api(url, 'PUT', '/v1/chat/bots/ext', {...admin, body: {
        name: 'Outside bot', start: 'hello',
        nodes: {hello: {say: 'Hello from Switchboard; my brain lives elsewhere.', next: 'outside'},
                outside: {webhook: {url: svc.url, secret: SECRET, timeoutSeconds: 2}}}}});
    assert.equal(r.status, 201, r.text);
    r = await api(url, 'PUT', '/v1/chat/widgets/ext-web', {...admin, body: {bot: 'ext', queue: 'support'}});
    assert.equal(r.status, 201, r.text);
    for (const w of ['alice', 'bob', 'carol', 'dave'])
        await api(url, 'POST', `/v1/router/workers/${w}/availability`, {...admin, body: {available: false}});

    const open = await api(url, 'POST', '/v1/chat/threads', {body: {widget: 'ext-web', name: 'Ola'}});
    assert.equal(open.status, 201, open.text);
    const chat = {id: open.json.thread.id, token: open.json.token};
    const say = (text) => api(url, 'POST', `/v1/chat/threads/${chat.id}/messages`, {token: chat.token, body: {text}});
    const texts = async () => (await api(url, 'GET', `/v1/chat/threads/${chat.id}/messages?after=0&limit=200`,
                                         {token: chat.token})).json.messages;

    // Answer in the response.
    assert.equal((await say('hi there')).status, 201);
    const echo = await waitFor(async () => (await texts()).find((m) => m.text === 'Echo: hi there'), 'the echo');
    assert.equal(echo.sender.kind, 'bot');
    assert.deepEqual(echo.quickReplies, [{label: 'More'}]);
    const req = svc.requests[0];
    assert.equal(req.signed, true);
    assert.equal(req.body.threadId, chat.id);
    assert.equal(req.body.consumer.name, 'Ola');
    assert.equal(req.body.message.text, 'hi there');

    // Answer later, through the API as the bot.
    assert.equal((await say('later')).status, 201);
    await waitFor(async () => (await texts()).find((m) => m.text === 'Sorry for the wait: here I am.'), 'the late answer');
    // Only admins and API keys may speak as the bot.
    r = await api(url, 'POST', `/v1/chat/threads/${chat.id}/messages`, {token: chat.token, body: {text: 'x', as: 'bot'}});
    assert.equal(r.status, 403, r.text);

    // A handoff from the bot: a job with the bot's fields and labels.
    assert.equal((await say('agent please')).status, 201);
    const th = await waitFor(async () => {
        const x = await api(url, 'GET', `/v1/chat/threads/${chat.id}`, {token: chat.token});
        return x.json.state === 'waiting' ? x.json : null;
    }, 'the handoff');
    assert.equal(th.fields.topic, 'bikes');
    const job = await api(url, 'GET', `/v1/router/jobs/${th.jobId}`, admin);
    assert.equal(job.json.labels.source, 'ext-bot');
    assert.equal(job.json.labels.topic, 'bikes');
    assert.equal(job.json.queueId, 'support');

    // A failing bot: the consumer is told and handed to a person.
    const open2 = await api(url, 'POST', '/v1/chat/threads', {body: {widget: 'ext-web'}});
    const c2 = {id: open2.json.thread.id, token: open2.json.token};
    assert.equal((await api(url, 'POST', `/v1/chat/threads/${c2.id}/messages`, {token: c2.token, body: {text: 'fail'}})).status, 201);
    const th2 = await waitFor(async () => {
        const x = await api(url, 'GET', `/v1/chat/threads/${c2.id}`, {token: c2.token});
        return x.json.state === 'waiting' ? x.json : null;
    }, 'the fallback handoff');
    const msgs2 = (await api(url, 'GET', `/v1/chat/threads/${c2.id}/messages`, {token: c2.token})).json.messages;
    assert.ok(msgs2.some((m) => /cannot answer right now/.test(m.text)), JSON.stringify(msgs2));
    assert.ok(th2.jobId);

    // Bad flows are refused with where the problem is.
    r = await api(url, 'PUT', '/v1/chat/bots/broken', {...admin, body: {start: 'nowhere', nodes: {a: {say: 'x'}}}});
    assert.equal(r.status, 422, r.text);
    assert.match(r.text, /nowhere/);
    r = await api(url, 'DELETE', '/v1/chat/bots/ext', admin);
    assert.equal(r.status, 409, r.text);
});
