// Durability: what was acknowledged survives a restart, SIGKILL in the
// middle of a stream of writes, and clean shutdown on SIGTERM/SIGINT.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {useServer, makeTempDir, api, sleep, DEMO_API_KEY} from './lib/server.js';

const admin = {apiKey: DEMO_API_KEY};

test('data is kept across a restart; SIGTERM stops within 2 s with code 0', async (t) => {
    const data = makeTempDir(t);
    const first = await useServer(t, {dataDir: data});
    const r = await api(first.url, 'POST', '/v1/users', {...admin, body: {name: 'keeper', role: 'expert', extension: '7777'}});
    assert.equal(r.status, 201, r.text);
    const stopped = await first.stop();
    assert.equal(stopped.code, 0, `exit ${JSON.stringify(stopped)}`);
    assert.equal(stopped.signal, null);
    assert.ok(stopped.ms < 2000, `stop took ${stopped.ms} ms`);
    assert.ok(first.logs().some((l) => /msg="stopping" signal=15/.test(l)), 'logs the signal');
    assert.ok(first.logs().some((l) => /msg="stopped" code=0/.test(l)), 'logs the stop');

    const second = await useServer(t, {dataDir: data});
    // the store was not empty: no demo import the second time
    assert.ok(!second.logs().some((l) => /loading the demo configuration/.test(l)));
    const got = await api(second.url, 'GET', `/v1/users/${r.json.id}`, admin);
    assert.equal(got.status, 200, got.text);
    assert.deepEqual(got.json, r.json);
    const s2 = await second.stop();
    assert.equal(s2.code, 0);
    assert.ok(s2.ms < 2000, `stop took ${s2.ms} ms`);
});

test('SIGINT shuts down cleanly too, with open connections', async (t) => {
    const srv = await useServer(t);
    // an idle keep-alive connection and a request just answered
    assert.equal((await api(srv.url, 'GET', '/healthz')).status, 200);
    const stopped = await srv.stop('SIGINT');
    assert.equal(stopped.code, 0, JSON.stringify(stopped));
    assert.equal(stopped.signal, null);
    assert.ok(stopped.ms < 2000, `stop took ${stopped.ms} ms`);
    assert.ok(srv.logs().some((l) => /msg="stopping" signal=2/.test(l)));
});

test('kill -9 during a stream of writes loses nothing acknowledged', async (t) => {
    const data = makeTempDir(t);
    const srv = await useServer(t, {dataDir: data});
    const acked = []; // ids of users whose POST got 201
    let failed = 0;
    let stop = false;
    const loop = async (n) => {
        for (let i = 0; !stop; i++) {
            try {
                const r = await api(srv.url, 'POST', '/v1/users', {...admin, body: {name: `k${n}-${i}`, role: 'agent'}});
                if (r.status === 201) acked.push(r.json.id);
                else if (r.status !== 503) throw new Error(`unexpected ${r.status} ${r.text}`);
            } catch (e) {
                if (e.message.startsWith('unexpected')) throw e;
                failed++; // the connection died with the server
                if (!srv.running) return;
            }
        }
    };
    const loops = Array.from({length: 8}, (_, n) => loop(n));
    // let the writes run, then kill at a random moment
    await sleep(1500 + Math.floor(Math.random() * 1000));
    await srv.kill();
    stop = true;
    // answers already on their way when the server died still count: the
    // server sent 201 for them
    await Promise.all(loops);
    console.log(`# kill -9: ${acked.length} users acknowledged before the kill, ${failed} requests cut off`);
    assert.ok(acked.length > 20, `only ${acked.length} writes acknowledged`);

    const again = await useServer(t, {dataDir: data});
    const missing = [];
    // every acknowledged user by id, 8 at a time
    for (let i = 0; i < acked.length; i += 8) {
        const batch = acked.slice(i, i + 8);
        const rs = await Promise.all(batch.map((id) => api(again.url, 'GET', `/v1/users/${id}`, admin)));
        rs.forEach((r, k) => {
            if (r.status !== 200) missing.push(`${batch[k]}: ${r.status}`);
        });
    }
    assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged users lost`);
    // and the list agrees (no half-written rows either)
    const ids = new Set();
    let cursor = null;
    do {
        const r = await api(again.url, 'GET', `/v1/users?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, admin);
        assert.equal(r.status, 200);
        for (const u of r.json.items) ids.add(u.id);
        cursor = r.json.nextCursor;
    } while (cursor);
    for (const id of acked) assert.ok(ids.has(id), id);
    const stopped = await again.stop();
    assert.equal(stopped.code, 0);
});

test('SIGTERM right after the startup banner still stops cleanly', async (t) => {
    // The banner says the server is running; a supervisor may stop it at
    // once. Fresh stores with a tiny config keep each start short.
    const results = [];
    for (let i = 0; i < 20; i++) {
        const srv = await useServer(t, {configText: 'users:\n  - name: root\n    role: admin\n', waitHealthy: false});
        const r = await srv.stop();
        results.push(`${r.code}/${r.signal}`);
    }
    const bad = results.filter((x) => x !== '0/null');
    assert.deepEqual(bad, [], `exit code/signal of 20 starts stopped at once: ${results.join(' ')}`);
});
