// What the shift manager's dashboard (/manager) asks of the API beyond the
// reports: staffing queues (PUT /v1/router/workers/{id}/queues, for
// managers; the whole configuration still checked) and the service-level
// goal the wallboard colours its tiles by and the agents' time in state
// (GET /v1/reports/live).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {api, login, useServer, errorBody, demoConfigText, makeTempDir, runCli, sleep, DEMO_API_KEY} from './lib/server.js';

const admin = {apiKey: DEMO_API_KEY};

test('a manager staffs queues; availability is kept; a call queue is never left without an agent', async (t) => {
    const srv = await useServer(t);
    const maria = {token: await login(srv.url, 'maria')};
    const alice = {token: await login(srv.url, 'alice')};
    const queues = (w, auth, body) => api(srv.url, 'PUT', `/v1/router/workers/${w}/queues`, {...auth, body});

    // carol on a break; maria moves her to sales as well: still on her break.
    let r = await api(srv.url, 'POST', '/v1/router/workers/carol/availability',
                      {...maria, body: {available: false, reason: 'Lunch'}});
    assert.equal(r.status, 200, r.text);
    r = await queues('carol', maria, {queues: ['support', 'sales']});
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.queues, ['support', 'sales']);
    assert.equal(r.json.available, false);
    assert.equal(r.json.unavailableReason, 'Lunch');
    assert.deepEqual(r.json.channels.map((c) => c.channelId), ['voice', 'chat'], 'the rest is kept');
    assert.equal(r.json.labels.skill, 5);
    const w = (await api(srv.url, 'GET', '/v1/router/workers/carol', admin)).json;
    assert.deepEqual(w.queues, ['support', 'sales']);

    // The support call queue needs a voice agent: alice and carol serve it.
    r = await queues('alice', maria, {queues: ['sales']});
    assert.equal(r.status, 200, r.text);
    r = await queues('carol', maria, {queues: ['sales']});
    const e = errorBody(r, 422, 'validation_failed');
    assert.match(e.message, /support/);
    assert.deepEqual((await api(srv.url, 'GET', '/v1/router/workers/carol', admin)).json.queues,
                     ['support', 'sales'], 'a refused change keeps nothing');

    // Agents may not; bad bodies and unknown workers and queues are refused.
    errorBody(await queues('alice', alice, {queues: ['sales', 'support']}), 403, 'forbidden');
    errorBody(await queues('carol', maria, {}), 422, 'validation_failed');
    errorBody(await queues('carol', maria, {queues: ['sales'], capacity: 1}), 422, 'validation_failed');
    errorBody(await queues('nobody', maria, {queues: ['sales']}), 404, 'not_found');
    r = await queues('carol', maria, {queues: ['support', 'nowhere']});
    assert.equal(r.status, 422, r.text);
});

test('the live figures carry the service-level goal and where amber starts', async (t) => {
    let srv = await useServer(t);
    let live = (await api(srv.url, 'GET', '/v1/reports/live', admin)).json;
    // An agent's time in state runs on, whatever reports are read meanwhile.
    const since = (l) => l.agents.find((a) => a.workerId === 'alice').sinceSeconds;
    const before = since(live);
    await sleep(1200);
    assert.equal((await api(srv.url, 'GET', '/v1/reports/agents?format=csv', admin)).status, 200);
    live = (await api(srv.url, 'GET', '/v1/reports/live', admin)).json;
    assert.ok(since(live) >= before + 1, `alice in her state ${before} s, then ${since(live)} s`);
    assert.equal(live.serviceLevelGoal, 0.8);
    assert.equal(live.serviceLevelAmberFrom, 0.7);
    assert.equal(live.timezone, 'Europe/London', 'the organisation\'s zone: "today" and the intervals');
    await srv.close();
    srv = await useServer(t, {configText: demoConfigText({reports: {serviceLevelGoal: 90, serviceLevelAmberPoints: 5}})});
    live = (await api(srv.url, 'GET', '/v1/reports/live', admin)).json;
    assert.equal(live.serviceLevelGoal, 0.9);
    assert.equal(live.serviceLevelAmberFrom, 0.85);
    // Out of range: the file is refused with the field named.
    const dir = makeTempDir(t);
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'server: {organisation: {name: X}, reports: {serviceLevelGoal: 0, serviceLevelAmberPoints: 101}}\n');
    const r = runCli(['import', file, '--data', join(dir, 'data')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /serviceLevelGoal/);
    assert.match(r.stderr, /serviceLevelAmberPoints/);
});
