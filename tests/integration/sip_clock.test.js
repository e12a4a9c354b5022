// Time-dependent voice behaviour on an injected clock: the server runs
// under libfaketime (LD_PRELOAD; only the wall clock is set, so its
// timers, which run on the monotonic clock, keep time). The demo's
// attendant `main` (Europe/London: Mon-Fri 09:00-18:00, Sat 10:00-16:00;
// holidays Christmas Day with a flow of its own, and Boxing Day) answers
// with the flow of the moment; recordings older than
// sip.recordingRetentionDays are deleted soon after a start.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {existsSync} from 'node:fs';
import {join} from 'node:path';
import {useServer, startServer, makeTempDir, demoConfigText, sleep, api, DEMO_API_KEY} from './lib/server.js';
import {SipUA, sdpMedia, rtpPacket} from './lib/sipua.js';
import {EventStream} from './lib/ws.js';
import {tone} from './lib/audio.js';

const admin = {apiKey: DEMO_API_KEY};
const FAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';

/* The environment of a server whose wall clock starts at `when` (UTC). */
function clockAt(when) {
    return {
        LD_PRELOAD: FAKETIME,
        FAKETIME: `@${when}`,
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
        // libfaketime is loaded before the sanitizers' runtime.
        ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ? `${process.env.ASAN_OPTIONS}:` : ''}verify_asan_link_order=0`,
    };
}

async function flowAt(t, when) {
    const srv = await useServer(t, {env: clockAt(when)});
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    const caller = await SipUA.open({port: srv.sip.port, user: '+15559870021'});
    t.after(() => caller.close());
    const {res, call} = await caller.invite(`sip:+15550100@127.0.0.1:${srv.sip.port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    caller.ack(call);
    const e = await events.next((m) => m.type === 'event' && m.event.type === 'attendantEntered', {timeoutMs: 10000});
    await caller.bye(call).catch(() => {});
    return e.event;
}

test('the demo attendant answers with the flow for the moment: open, closed, a holiday', async (t) => {
    const cases = [
        ['2026-12-28 10:00:00', 'open'],          // a Monday, 10:00 in London
        ['2026-12-28 19:30:00', 'closed'],        // the same Monday after 18:00
        ['2026-12-27 12:00:00', 'closed'],        // a Sunday
        ['2026-12-25 11:00:00', 'Christmas Day'], // a Friday, but a holiday with its own flow
        ['2026-12-26 11:00:00', 'closed'],        // Boxing Day: a Saturday in hours, a holiday without a flow
        ['2027-07-03 14:30:00', 'open'],          // a Saturday in summer: 15:30 in London (BST)
        ['2027-07-03 15:30:00', 'closed'],        // 16:30 BST: after Saturday's 16:00, though 15:30 UTC
    ];
    for (const [when, want] of cases) {
        const e = await flowAt(t, when);
        assert.equal(e.data.flow, want, `at ${when} UTC`);
        assert.ok(e.time.startsWith(when.slice(0, 10)), `the event is stamped with the injected clock: ${e.time}`);
    }
});

test('recordings older than the retention are deleted soon after a start', async (t) => {
    const dataDir = makeTempDir(t, 'sb-retention-');
    const configText = demoConfigText({sip: {recordingRetentionDays: 30}});
    let srv = await startServer({dataDir, configText});
    t.after(() => srv.stop());
    const port = srv.sip.port;
    const alice = await SipUA.open({port, user: '1001', password: 'demo-alice'});
    t.after(() => alice.close());
    const {res, call} = await alice.invite(`sip:*43@127.0.0.1:${port}`);
    assert.equal(res.status, 200);
    alice.ack(call);
    const media = sdpMedia(res.body);
    const callId = (await api(srv.url, 'GET', '/v1/calls', admin)).json.items[0].id;
    assert.equal((await api(srv.url, 'POST', `/v1/calls/${callId}/recording`, admin)).status, 202);
    for (let i = 0; i < 40; i++) {
        alice.rtp.send(rtpPacket(i, i * 160, 0xa1, 0, tone(440, i)), media.port, '127.0.0.1');
        await sleep(20);
    }
    assert.equal((await api(srv.url, 'DELETE', `/v1/calls/${callId}/recording`, admin)).status, 202);
    await alice.bye(call);
    let items = [];
    for (let i = 0; i < 50 && !items.some((r) => r.state === 'done'); i++) {
        await sleep(100);
        items = (await api(srv.url, 'GET', '/v1/recordings', admin)).json.items;
    }
    assert.equal(items.length, 1);
    const file = join(dataDir, 'recordings', `${callId}.wav`);
    assert.ok(existsSync(file), `${file} was written`);
    await srv.stop();

    // 29 days later it stays; 31 days later it is gone, file and all.
    const later = (days) => new Date(Date.now() + days * 86400000).toISOString().slice(0, 19).replace('T', ' ');
    srv = await startServer({dataDir, configText, env: clockAt(later(29))});
    await sleep(2500);
    assert.equal((await api(srv.url, 'GET', '/v1/recordings', admin)).json.items.length, 1);
    await srv.stop();
    srv = await startServer({dataDir, configText, env: clockAt(later(31))});
    for (let i = 0; i < 50 && items.length; i++) {
        await sleep(100);
        items = (await api(srv.url, 'GET', '/v1/recordings', admin)).json.items;
    }
    assert.deepEqual(items, [], 'the old recording is no longer listed');
    assert.ok(!existsSync(file), 'its file is deleted');
});
