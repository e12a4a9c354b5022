// The best-worker scoring webhook end to end: a scoring service on
// 127.0.0.1 that checks the request's signature and prefers bob; a job in
// a queue scored by it is offered to bob; when the service answers 500 the
// job is still offered, by the default score.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createServer} from 'node:http';
import {createHmac} from 'node:crypto';
import {api, useServer, DEMO_API_KEY, demoConfigText, sleep} from './lib/server.js';

const admin = {apiKey: DEMO_API_KEY};
const SECRET = 'scoring-secret-for-tests';

/* The scoring service: records each request; answers by `mode`. */
async function scoringService(t) {
    const svc = {requests: [], mode: 'scores', url: ''};
    const server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
            const expected = 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex');
            const signed = req.headers['x-switchboard-signature'] === expected;
            svc.requests.push({body: JSON.parse(body), signed, type: req.headers['content-type']});
            if (svc.mode === 'fail' || !signed) {
                res.writeHead(500).end('no');
                return;
            }
            res.writeHead(200, {'Content-Type': 'application/json'});
            res.end(JSON.stringify({scores: [{workerId: 'bob', score: 10}, {workerId: 'alice', score: 1}]}));
        });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    svc.url = `http://127.0.0.1:${server.address().port}/score`;
    t.after(() => new Promise((r) => server.close(r)));
    return svc;
}

/* The demo, plus a queue "scored" with a webhook-scored best-worker
 * policy, served by alice and bob. */
function configWith(url) {
    const policy = {
        id: 'scored', offerExpiresAfterSeconds: 30,
        mode: {kind: 'best-worker', scoringRule: {kind: 'webhook', url, timeoutSeconds: 2, secret: SECRET}},
    };
    return demoConfigText()
        .replace(/^distributionPolicies:\n/m, `distributionPolicies:\n  - ${JSON.stringify(policy)}\n`)
        .replace(/^queues:\n/m, 'queues:\n  - {"id": "scored", "name": "Scored", "distributionPolicyId": "scored"}\n')
        .replace('queues: [sales, support]\n', 'queues: [sales, support, scored]\n')
        .replace('queues: [sales]\n', 'queues: [sales, scored]\n');
}

/* The job once it has an offer (polled: the answer comes asynchronously). */
async function offered(url, jobId) {
    for (let i = 0; i < 100; i++) {
        const r = await api(url, 'GET', `/v1/router/jobs/${jobId}`, admin);
        assert.equal(r.status, 200, r.text);
        if (r.json.offers && r.json.offers.length) return r.json;
        await sleep(50);
    }
    assert.fail(`job ${jobId} got no offer`);
}

test('a webhook-scored queue offers to the worker the service prefers, and falls back when it fails', async (t) => {
    const svc = await scoringService(t);
    const srv = await useServer(t, {configText: configWith(svc.url)});

    const created = await api(srv.url, 'POST', '/v1/router/jobs',
                              {...admin, body: {channelId: 'voice', queueId: 'scored', labels: {topic: 'bikes'}}});
    assert.equal(created.status, 201, created.text);
    const job = await offered(srv.url, created.json.id);
    assert.equal(job.offers[0].workerId, 'bob');
    assert.equal(svc.requests.length, 1);
    const req = svc.requests[0];
    assert.ok(req.signed, 'the request carries a valid signature');
    assert.match(req.type, /application\/json/);
    assert.equal(req.body.jobId, created.json.id);
    assert.equal(req.body.queueId, 'scored');
    assert.equal(req.body.labels.topic, 'bikes');
    assert.deepEqual(req.body.candidates.map((c) => c.workerId).sort(), ['alice', 'bob']);
    const why = job.explanations[0];
    assert.equal(why.scoredBy, 'webhook');
    assert.equal(why.candidates[0].workerId, 'bob');
    assert.equal(why.candidates[0].score, 10);

    // The service fails: the job is still offered (bob holds the first
    // job's offer, so alice), by the default score.
    svc.mode = 'fail';
    const second = await api(srv.url, 'POST', '/v1/router/jobs',
                             {...admin, body: {channelId: 'voice', queueId: 'scored'}});
    assert.equal(second.status, 201, second.text);
    const job2 = await offered(srv.url, second.json.id);
    assert.equal(job2.offers[0].workerId, 'alice');
    assert.equal(svc.requests.length, 2);
    assert.equal(job2.explanations[0].webhookFailed, true);
});
