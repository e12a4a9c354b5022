// Setting up the voice side of a test server through the API: objects
// written with PUT, an agent's worker joining a router queue, and a SIPp
// playing the far carrier that the demo trunk's calls out reach.
//
//   await putConfig(srv, '/v1/voice/queues/q1', {queue: 'support'});
//   await workerJoins(srv, 'alice', 'q1');             // her demo queues kept
//   const far = await farCarrier(srv, 'uas_answer_bye.xml', {pauseMs: 1500});
import assert from 'node:assert/strict';
import {api, DEMO_API_KEY} from './server.js';
import {startSipp, freePort, freeMediaPort, waitBound} from './sipp.js';

const admin = {apiKey: DEMO_API_KEY};

/* PUT an object (created or replaced), asserting it was taken. */
export async function putConfig(srv, path, body) {
    const r = await api(srv.url, 'PUT', path, {...admin, body});
    assert.ok([200, 201].includes(r.status), `PUT ${path}: ${r.status} ${r.text}`);
    return r.json;
}

/* The worker also serves router queue q, on the voice channel. Its other
 * queues stay: the call queues that count on them keep an agent. */
export async function workerJoins(srv, worker, q) {
    const r = await api(srv.url, 'GET', `/v1/router/workers/${worker}`, admin);
    assert.equal(r.status, 200, r.text);
    const {capacity, channels, labels, queues, available} = r.json;
    delete labels.workerId; // implicit labels, given back by the router
    delete labels.userId;
    return putConfig(srv, `/v1/router/workers/${worker}`, {user: worker, capacity, channels, labels, available,
                                                          queues: [...queues, q]});
}

/*
 * The carrier's far end: a SIPp running scenario (a uas_*.xml) on a free
 * port, which the demo trunk (demo-carrier) now sends its calls out to.
 * It echoes the audio it gets. More options as startSipp's. Returns
 * startSipp's handle, plus port.
 */
export async function farCarrier(srv, scenario, opts = {}) {
    const port = await freePort();
    const trunk = (await api(srv.url, 'GET', '/v1/voice/trunks/demo-carrier', admin)).json;
    await putConfig(srv, '/v1/voice/trunks/demo-carrier',
                    {...trunk, outbound: {...trunk.outbound, uri: `sip:127.0.0.1:${port}`}});
    const uas = startSipp(srv, scenario, {users: [['carrier']], port, mediaPort: await freeMediaPort(),
                                          rtpEcho: true, recvTimeoutMs: 30000, ...opts});
    await waitBound(port);
    return {...uas, port};
}
