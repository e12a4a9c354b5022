// The job router through the HTTP API and the event stream: the demo's
// policies, queues and workers; a job classified, offered, accepted,
// completed and closed; offers only for their own worker; expiry; bad
// input; and jobs kept across a restart.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {api, login, useServer, startServer, errorBody, DEMO_API_KEY, demoConfigText, makeTempDir, sleep} from './lib/server.js';
import {EventStream} from './lib/ws.js';

const admin = {apiKey: DEMO_API_KEY};

/* Every demo worker unavailable, so that jobs wait in their queues. */
async function allUnavailable(url) {
    for (const w of ['alice', 'bob', 'carol', 'dave']) {
        const r = await api(url, 'POST', `/v1/router/workers/${w}/availability`,
                            {...admin, body: {available: false, reason: 'test'}});
        assert.equal(r.status, 200, r.text);
    }
}

async function offerFor(stream, workerId, jobId) {
    const msg = await stream.next((m) => m.type === 'event' && m.event.type === 'offerIssued' &&
                                         m.event.data.workerId === workerId &&
                                         (!jobId || m.event.data.jobId === jobId));
    return msg.event.data;
}

test('the demo router objects load and are listed for leads only', async (t) => {
    const srv = await useServer(t, {});
    const queues = await api(srv.url, 'GET', '/v1/router/queues', admin);
    assert.equal(queues.status, 200, queues.text);
    assert.deepEqual(queues.json.items.map((q) => q.id).sort(), ['sales', 'support']);
    const workers = await api(srv.url, 'GET', '/v1/router/workers', admin);
    assert.deepEqual(workers.json.items.map((w) => w.id).sort(), ['alice', 'bob', 'carol', 'dave']);
    const alice = await login(srv.url, 'alice');
    errorBody(await api(srv.url, 'GET', '/v1/router/workers', {token: alice}), 403, 'forbidden');
    const own = await api(srv.url, 'GET', '/v1/router/workers/alice', {token: alice});
    assert.equal(own.status, 200, own.text);
    errorBody(await api(srv.url, 'GET', '/v1/router/workers/bob', {token: alice}), 403, 'forbidden');
});

test('a job is classified, offered, accepted by its worker only, completed and closed', async (t) => {
    const srv = await useServer(t, {});
    await allUnavailable(srv.url);
    const alice = await login(srv.url, 'alice');
    const bob = await login(srv.url, 'bob');
    const stream = await EventStream.open(srv.url, {token: alice});
    t.after(() => stream.close());
    await stream.subscribe(['router']);

    const created = await api(srv.url, 'POST', '/v1/router/jobs', {
        ...admin,
        body: {channelId: 'voice', classificationPolicyId: 'by-topic', labels: {topic: 'sales'}},
    });
    assert.equal(created.status, 201, created.text);
    const job = created.json;
    assert.equal(job.queueId, 'sales');
    assert.equal(job.state, 'queued');
    assert.equal(job.position, 1);

    const stats = await api(srv.url, 'GET', '/v1/router/queues/sales/statistics', admin);
    assert.equal(stats.status, 200, stats.text);
    assert.equal(stats.json.length, 1);

    // Alice becomes available: the job is offered to her at once.
    const avail = await api(srv.url, 'POST', '/v1/router/workers/alice/availability',
                            {token: alice, body: {available: true}});
    assert.equal(avail.status, 200, avail.text);
    const offer = await offerFor(stream, 'alice', job.id);
    assert.ok(offer.offerId);

    // Bob may not answer for Alice's worker.
    errorBody(await api(srv.url, 'POST', `/v1/router/workers/alice/offers/${offer.offerId}/accept`,
                        {token: bob}), 403, 'forbidden');
    const accepted = await api(srv.url, 'POST', `/v1/router/workers/alice/offers/${offer.offerId}/accept`,
                               {token: alice});
    assert.equal(accepted.status, 200, accepted.text);
    // Accepting twice is refused.
    assert.equal((await api(srv.url, 'POST', `/v1/router/workers/alice/offers/${offer.offerId}/accept`,
                            {token: alice})).status, 409);

    const assigned = await api(srv.url, 'GET', `/v1/router/jobs/${job.id}`, {token: alice});
    assert.equal(assigned.status, 200, assigned.text);
    assert.equal(assigned.json.state, 'assigned');
    // Why Alice: the offer carries its explanation.
    assert.ok(JSON.stringify(assigned.json).includes('longest-idle'));
    errorBody(await api(srv.url, 'GET', `/v1/router/jobs/${job.id}`, {token: bob}), 403, 'forbidden');

    const completed = await api(srv.url, 'POST', `/v1/router/jobs/${job.id}/complete`, {token: alice});
    assert.equal(completed.status, 200, completed.text);
    assert.equal(completed.json.state, 'completed');
    const closed = await api(srv.url, 'POST', `/v1/router/jobs/${job.id}/close`,
                             {token: alice, body: {dispositionCode: 'resolved'}});
    assert.equal(closed.status, 200, closed.text);
    assert.equal(closed.json.state, 'closed');

    // The events came in order on the stream.
    const seen = [];
    for (;;) {
        const m = await stream.next((x) => x.type === 'event', {timeoutMs: 5000}).catch(() => null);
        if (!m) break;
        seen.push(m.event.type);
        if (m.event.type === 'jobClosed') break;
    }
    assert.ok(seen.includes('offerAccepted') && seen.includes('jobAssigned') && seen.includes('jobClosed'),
              seen.join(','));
});

test('an expired offer cannot be accepted and the job moves on', async (t) => {
    const text = demoConfigText().replace('offerExpiresAfterSeconds: 30', 'offerExpiresAfterSeconds: 1');
    const srv = await useServer(t, {configText: text});
    await allUnavailable(srv.url);
    const alice = await login(srv.url, 'alice');
    const stream = await EventStream.open(srv.url, {token: alice});
    t.after(() => stream.close());
    await stream.subscribe(['router']);
    const created = await api(srv.url, 'POST', '/v1/router/jobs',
                              {...admin, body: {channelId: 'voice', queueId: 'support'}});
    assert.equal(created.status, 201, created.text);
    await api(srv.url, 'POST', '/v1/router/workers/alice/availability', {token: alice, body: {available: true}});
    const offer = await offerFor(stream, 'alice', created.json.id);
    await stream.next((m) => m.type === 'event' && m.event.type === 'offerExpired', {timeoutMs: 10000});
    const late = await api(srv.url, 'POST', `/v1/router/workers/alice/offers/${offer.offerId}/accept`,
                           {token: alice});
    assert.equal(late.status, 409, late.text);
});

test('bad input gets clear errors', async (t) => {
    const srv = await useServer(t, {});
    const unknownQueue = await api(srv.url, 'POST', '/v1/router/jobs',
                                   {...admin, body: {channelId: 'voice', queueId: 'nope'}});
    const e = errorBody(unknownQueue, 422, 'validation_failed');
    assert.match(e.message, /nope|queue/);
    const badOp = await api(srv.url, 'PUT', '/v1/router/classificationPolicies/x', {
        ...admin,
        body: {workerSelectors: [{key: 'skill', operator: 'about', value: 3}]},
    });
    assert.match(errorBody(badOp, 422, 'validation_failed').message, /operator/);
    const negative = await api(srv.url, 'PUT', '/v1/router/workers/w9', {
        ...admin,
        body: {capacity: -5, channels: [{channelId: 'voice', capacityCostPerJob: 100}]},
    });
    assert.match(errorBody(negative, 422, 'validation_failed').message, /capacity/);
    const body = {id: 'job-dup', channelId: 'voice', queueId: 'support'};
    assert.equal((await api(srv.url, 'POST', '/v1/router/jobs', {...admin, body})).status, 201);
    errorBody(await api(srv.url, 'POST', '/v1/router/jobs', {...admin, body}), 409, 'conflict');
    const alice = await login(srv.url, 'alice');
    errorBody(await api(srv.url, 'PUT', '/v1/router/queues/q9',
                        {token: alice, body: {distributionPolicyId: 'longest-idle'}}), 403, 'forbidden');
    errorBody(await api(srv.url, 'GET', '/v1/router/jobs/nope', admin), 404, 'not_found');
});

test('queued jobs are queued again after a restart, in the same order', async (t) => {
    const dataDir = makeTempDir(t);
    let srv = await startServer({dataDir});
    await allUnavailable(srv.url);
    const ids = [];
    for (let i = 0; i < 3; i++) {
        const r = await api(srv.url, 'POST', '/v1/router/jobs',
                            {...admin, body: {channelId: 'chat', queueId: 'support', priority: i === 2 ? 5 : 1}});
        assert.equal(r.status, 201, r.text);
        ids.push(r.json);
    }
    await srv.close();
    srv = await startServer({dataDir});
    t.after(() => srv.close());
    const list = await api(srv.url, 'GET', '/v1/router/jobs?queueId=support&state=queued', admin);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.items.map((j) => j.id), [ids[2].id, ids[0].id, ids[1].id]);
    for (const before of ids) {
        const after = list.json.items.find((j) => j.id === before.id);
        assert.equal(after.enqueuedAt, before.enqueuedAt);
    }
    // Pages of two: the same order, then the rest, then no cursor.
    const page1 = await api(srv.url, 'GET', '/v1/router/jobs?queueId=support&state=queued&limit=2', admin);
    assert.deepEqual(page1.json.items.map((j) => j.id), [ids[2].id, ids[0].id]);
    const page2 = await api(srv.url, 'GET',
                            `/v1/router/jobs?queueId=support&state=queued&limit=2&cursor=${page1.json.nextCursor}`, admin);
    assert.deepEqual(page2.json.items.map((j) => j.id), [ids[1].id]);
    assert.equal(page2.json.nextCursor, null);
    errorBody(await api(srv.url, 'GET', '/v1/router/jobs?cursor=x', admin), 400, 'bad_query');
});

test('an offer still within its time stands after a restart and can be accepted', async (t) => {
    const dataDir = makeTempDir(t);
    let srv = await startServer({dataDir});
    await allUnavailable(srv.url);
    let alice = await login(srv.url, 'alice');
    const stream = await EventStream.open(srv.url, {token: alice});
    await stream.subscribe(['router']);
    const created = await api(srv.url, 'POST', '/v1/router/jobs',
                              {...admin, body: {channelId: 'voice', queueId: 'support'}});
    assert.equal(created.status, 201, created.text);
    await api(srv.url, 'POST', '/v1/router/workers/alice/availability', {token: alice, body: {available: true}});
    const offer = await offerFor(stream, 'alice', created.json.id);
    stream.close();
    await srv.close();

    srv = await startServer({dataDir});
    t.after(() => srv.close());
    alice = await login(srv.url, 'alice');
    const job = await api(srv.url, 'GET', `/v1/router/jobs/${created.json.id}`, admin);
    assert.equal(job.status, 200, job.text);
    assert.ok(job.json.offers.some((o) => o.offerId === offer.offerId || o.id === offer.offerId), job.text);
    const accepted = await api(srv.url, 'POST', `/v1/router/workers/alice/offers/${offer.offerId}/accept`,
                               {token: alice});
    assert.equal(accepted.status, 200, accepted.text);
    const after = await api(srv.url, 'GET', `/v1/router/jobs/${created.json.id}`, admin);
    assert.equal(after.json.state, 'assigned');
});

test('a worker\'s idle time and missed offers are kept across a restart', async (t) => {
    const data = makeTempDir(t);
    const text = demoConfigText().replace('offerExpiresAfterSeconds: 30', 'offerExpiresAfterSeconds: 1');
    const first = await startServer({configText: text, dataDir: data});
    t.after(() => first.close());
    await allUnavailable(first.url);
    const stream = await EventStream.open(first.url, {apiKey: DEMO_API_KEY});
    await stream.subscribe(['router']);
    await api(first.url, 'POST', '/v1/router/workers/alice/availability', {...admin, body: {available: true}});
    const created = await api(first.url, 'POST', '/v1/router/jobs',
                              {...admin, body: {channelId: 'voice', queueId: 'support'}});
    assert.equal(created.status, 201, created.text);
    await stream.next((m) => m.type === 'event' && m.event.type === 'offerExpired', {timeoutMs: 10000});
    await stream.close();
    const before = (await api(first.url, 'GET', '/v1/router/workers/alice', admin)).json;
    assert.ok(before.consecutiveExpiries >= 1, JSON.stringify(before));
    await first.kill();

    // The job comes back with the server and may be offered again: compare
    // what the restart must not reset, before anything new happens.
    const second = await startServer({configText: text.replace(/available: true/g, 'available: false'), dataDir: data});
    t.after(() => second.close());
    const after = (await api(second.url, 'GET', '/v1/router/workers/alice', admin)).json;
    assert.equal(after.idleSince, before.idleSince);
    assert.ok(after.consecutiveExpiries >= before.consecutiveExpiries, `${after.consecutiveExpiries} < ${before.consecutiveExpiries}`);
});
