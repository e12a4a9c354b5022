// Speech in auto attendants (docs/voice.md): callers say a menu option
// ("sales", "i want support", "operator") or, in dial by name, a person's
// name then "yes"; the words are spoken by flite (the prompts' voice, via
// build/tests/sb-say), sent as G.711 RTP like a caller's voice, and the
// attendant picks the option or the person. Accuracy over each fixed set
// is printed; the tests assert floors below what was measured (one
// synthetic voice is kinder than real callers, and the figures guard
// against regressions). Also: speaking stops the prompt (barge-in), a key
// wins over words, noise is not taken for an option, and dial by name by
// keypad letters with several matches.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {useServer, sleep, api, makeTempDir, SB_BIN, DEMO_API_KEY} from './lib/server.js';
import {SipUA, sdpMedia, rtpPacket} from './lib/sipua.js';
import {EventStream} from './lib/ws.js';
import {ulaw, parseWav, silence} from './lib/audio.js';

const admin = {apiKey: DEMO_API_KEY};
const SAY = join(dirname(SB_BIN), 'tests', 'sb-say');

const ATTENDANT = {
    id: 'voice',
    open: {
        menu: {
            prompt: {text: 'For sales, say sales or press 1. For support, say support or press 2. ' +
                           'For billing, say billing or press 3. To reach someone by name, say directory or press 9. ' +
                           'For the operator, say operator or press 0.'},
            options: [
                {key: '1', say: ['sales'], target: {kind: 'callQueue', callQueue: 'sales'}},
                {key: '2', say: ['support'], target: {kind: 'callQueue', callQueue: 'support'}},
                {key: '3', say: ['billing'], target: {kind: 'voicemail', box: 'billing'}},
                {key: '9', say: ['directory', 'dial by name'], dialByName: true},
            ],
            operator: {kind: 'person', user: 'bob'},
            retries: 3,
            inputSeconds: 8,
            default: {kind: 'disconnect'},
        },
    },
};

async function setup(t) {
    const srv = await useServer(t);
    let r = await api(srv.url, 'PUT', '/v1/voice/attendants/voice', {...admin, body: ATTENDANT});
    assert.equal(r.status, 201, r.text);
    r = await api(srv.url, 'PUT', '/v1/voice/numbers/+15550130', {...admin,
        body: {target: {kind: 'attendant', attendant: 'voice'}}});
    assert.equal(r.status, 201, r.text);
    const events = await EventStream.open(srv.url, {apiKey: DEMO_API_KEY, query: {topics: 'calls'}});
    t.after(() => events.close());
    return {srv, events, dir: makeTempDir(t, 'sb-speech-')};
}

/* text spoken by flite at 8 kHz, as G.711 mu-law 20 ms payloads */
function utterance(dir, text, seed = 1) {
    const path = join(dir, `${text.replace(/\W+/g, '_')}-${seed}.wav`);
    execFileSync(SAY, ['--seed', String(seed), text, path]);
    const {fmt, left} = parseWav(readFileSync(path));
    assert.deepEqual([fmt.rate, fmt.channels, fmt.bits], [8000, 1, 16]);
    const out = [];
    for (let i = 0; i + 160 <= left.length; i += 160) out.push(Buffer.from(left.slice(i, i + 160).map(ulaw)));
    return out;
}

/* A caller on the attendant's number who can talk. */
async function dialIn(t, srv) {
    const caller = await SipUA.open({port: srv.sip.port, user: '+15559870011'});
    t.after(() => caller.close());
    const {res, call} = await caller.invite(`sip:+15550130@127.0.0.1:${srv.sip.port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    caller.ack(call);
    const media = sdpMedia(res.body);
    let seq = 1, ts = 0;
    const send = async (payloads) => {
        const t0 = Date.now();
        for (let i = 0; i < payloads.length; i++) {
            const wait = t0 + i * 20 - Date.now();
            if (wait > 0) await sleep(wait);
            caller.rtp.send(rtpPacket(seq++, ts, 0x5eec, 0, payloads[i]), media.port, '127.0.0.1');
            ts += 160;
        }
    };
    // Speak, then stay quiet for a second (the silence ends the utterance).
    const say = (payloads) => send([...payloads, ...Array.from({length: 50}, silence)]);
    const info = (d) => caller.info(call, d);
    t.after(async () => { try { await caller.bye(call); } catch { /* gone already */ } });
    return {caller, call, send, say, info};
}

const next = (events, pred, timeoutMs = 20000) =>
    events.next((m) => m.type === 'event' && pred(m.event), {timeoutMs});
const ofCall = (id, type) => (e) => e.subject === id && e.type === type;

async function entered(events) {
    const e = await next(events, (e) => e.type === 'attendantEntered');
    return e.event.data.callId;
}

/* The first of these event types for the call. */
function outcome(events, id, types) {
    return next(events, (e) => e.subject === id && types.includes(e.type), 25000).then((m) => m.event);
}

const MENU_SET = [
    ['sales', '1'], ['support', '2'], ['billing', '3'], ['operator', '0'], ['directory', '9'],
    ['sales please', '1'], ['i want support', '2'], ['connect me to the operator', '0'],
];

test('spoken menu options select the right option', async (t) => {
    const {srv, events, dir} = await setup(t);
    let right = 0;
    const wrong = [];
    // Two callers at a time: each utterance is its own call.
    for (let i = 0; i < MENU_SET.length; i += 2) {
        await Promise.all(MENU_SET.slice(i, i + 2).map(async ([said, key], k) => {
            const speech = utterance(dir, said, 1 + i + k);
            const c = await dialIn(t, srv);
            const id = await entered(events);
            await sleep(1500);
            await c.say(speech);
            const ev = await outcome(events, id, ['attendantOption', 'attendantNotRecognised']);
            const got = ev.type === 'attendantOption' ? ev.data.key : '';
            if (ev.type === 'attendantOption') assert.equal(ev.data.input, 'speech');
            if (got === key) right++;
            else wrong.push(`"${said}" -> ${got || 'nothing'}`);
        }));
    }
    console.log(`# speech menu accuracy: ${right}/${MENU_SET.length}${wrong.length ? ` (missed: ${wrong.join(', ')})` : ''}`);
    assert.ok(right >= 6, `at least 6 of ${MENU_SET.length} menu utterances recognised; missed ${wrong.join(', ')}`);
});

const NAMES = [['Alice Brown', 'alice'], ['Bob Singh', 'bob'], ['Carol Chen', 'carol'],
               ['Dave Okafor', 'dave'], ['Erin Walsh', 'erin']];

test('dial by name: a spoken name, confirmed with "yes", rings that person', async (t) => {
    const {srv, events, dir} = await setup(t);
    const yes = utterance(dir, 'yes', 7);
    let right = 0;
    const wrong = [];
    for (let i = 0; i < NAMES.length; i += 2) {
        await Promise.all(NAMES.slice(i, i + 2).map(async ([name, user], k) => {
            const speech = utterance(dir, name, 3 + i + k);
            const c = await dialIn(t, srv);
            const id = await entered(events);
            await sleep(300);
            assert.equal((await c.info('9')).status, 200);
            const opt = await outcome(events, id, ['attendantOption']);
            assert.equal(opt.data.target, 'dialByName');
            await sleep(1500);
            await c.say(speech);
            // "Alice Brown. To call them, say yes ..." then yes.
            await sleep(1500);
            await c.say(yes);
            const ev = await outcome(events, id, ['attendantDirectory']);
            if (ev.data.result === 'connected' && ev.data.user === user) right++;
            else wrong.push(`${name} -> ${ev.data.result} ${ev.data.user || ev.data.input}`);
            if (ev.data.result === 'connected') assert.equal(ev.data.method, 'speech');
        }));
    }
    console.log(`# speech name accuracy: ${right}/${NAMES.length}${wrong.length ? ` (missed: ${wrong.join(', ')})` : ''}`);
    assert.ok(right >= 4, `at least 4 of ${NAMES.length} names; missed ${wrong.join(', ')}`);
});

test('speaking stops the prompt; noise is not an option; a key wins over words', async (t) => {
    const {srv, events, dir} = await setup(t);
    // Barge-in: the prompt (about 12 s) stops soon after the caller speaks.
    const c = await dialIn(t, srv);
    const id = await entered(events);
    await sleep(1500);
    const heardBefore = c.caller.rtpIn.length;
    assert.ok(heardBefore > 20, `the prompt plays (${heardBefore} packets)`);
    const speaking = c.say(utterance(dir, 'support', 2));
    await sleep(700);
    const at = c.caller.rtpIn.length;
    await sleep(600);
    assert.ok(c.caller.rtpIn.length - at < 10, `the prompt stopped (${c.caller.rtpIn.length - at} packets in 600 ms)`);
    await speaking;
    const ev = await outcome(events, id, ['attendantOption', 'attendantNotRecognised']);
    assert.equal(ev.type, 'attendantOption');

    // Noise (a loud hum) is heard as speech, but it is no option: the menu again.
    const n = await dialIn(t, srv);
    const nid = await entered(events);
    await sleep(1000);
    const hum = Array.from({length: 60}, (_, i) => Buffer.from(Array.from({length: 160},
        (_, j) => ulaw(Math.round(6000 * Math.sin((2 * Math.PI * 120 * (i * 160 + j)) / 8000))))));
    await n.say(hum);
    const nev = await outcome(events, nid, ['attendantOption', 'attendantNotRecognised']);
    assert.equal(nev.type, 'attendantNotRecognised', JSON.stringify(nev.data));

    // A key pressed right after speaking wins over the words being decoded.
    const k = await dialIn(t, srv);
    const kid = await entered(events);
    await sleep(1000);
    await k.send(utterance(dir, 'sales', 4));
    assert.equal((await k.info('2')).status, 200);
    const kev = await outcome(events, kid, ['attendantOption', 'attendantNotRecognised']);
    assert.deepEqual([kev.data.key, kev.data.input], ['2', 'dtmf']);
    await assert.rejects(next(events, (e) => e.subject === kid && e.type === 'attendantOption', 2500),
                         'the words decoded after the key are dropped');
});

test('dial by name by keypad letters: one match is confirmed, several are read out', async (t) => {
    const {srv, events} = await setup(t);
    const alice = await SipUA.open({port: srv.sip.port, user: '1001', password: 'demo-alice'});
    t.after(() => alice.close());
    assert.equal((await alice.register()).status, 200);
    alice.autoAnswer();

    // B-R-O (2 7 6): Alice Brown alone; # then 1 to confirm.
    const c = await dialIn(t, srv);
    const id = await entered(events);
    for (const d of ['9', '2', '7', '6', '#']) {
        assert.equal((await c.info(d)).status, 200);
        await sleep(150);
    }
    await sleep(1000);
    assert.equal((await c.info('1')).status, 200);
    const ev = await outcome(events, id, ['attendantDirectory']);
    assert.deepEqual([ev.data.result, ev.data.user, ev.data.method, ev.data.input], ['connected', 'alice', 'keys', '276']);
    for (let i = 0; i < 200 && !alice.seen.some((m) => m.method === 'INVITE'); i++) await sleep(50);
    assert.ok(alice.seen.some((m) => m.method === 'INVITE'), 'alice is rung');

    // 2 (A, B or C) begins Alice Brown, Bob Singh and Carol Chen: read out, 3 picks Carol.
    const c2 = await dialIn(t, srv);
    const id2 = await entered(events);
    for (const d of ['9', '2', '#']) {
        assert.equal((await c2.info(d)).status, 200);
        await sleep(150);
    }
    await sleep(1500);
    assert.equal((await c2.info('3')).status, 200);
    const ev2 = await outcome(events, id2, ['attendantDirectory']);
    assert.deepEqual([ev2.data.result, ev2.data.matches, ev2.data.user], ['connected', 3, 'carol']);

    // Letters that match nobody (9 9 9 = WWW...): sorry, and the question again.
    const c3 = await dialIn(t, srv);
    const id3 = await entered(events);
    for (const d of ['9', '9', '9', '9', '#']) {
        assert.equal((await c3.info(d)).status, 200);
        await sleep(150);
    }
    const ev3 = await outcome(events, id3, ['attendantDirectory']);
    assert.deepEqual([ev3.data.result, ev3.data.input], ['noMatch', '999']);
    // * goes back to the menu.
    await sleep(500);
    assert.equal((await c3.info('*')).status, 200);
    const ev4 = await next(events, (e) => e.subject === id3 && e.type === 'attendantDirectory' && e.data.result === 'cancelled');
    assert.ok(ev4);
});
