// baresip (Debian package baresip), a real softphone, against Switchboard:
// it registers as alice (1001), calls the echo test *43 and hangs up; as
// bob (1002) it answers a call placed by SIPp. No sound card: the source
// is a 440 Hz sine (ausine), the player a bridge that goes nowhere
// (aubridge); baresip is driven through its ctrl_tcp interface (JSON in
// netstrings), whose events say when the call is up, when audio arrives
// and when it ends. Only 127.0.0.1 and free ports are used; each baresip
// runs in a temporary config folder and is stopped by its pid.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import net from 'node:net';
import {useServer, makeTempDir, removeDir, api, sleep, DEMO_API_KEY} from './lib/server.js';
import {requireSipp, runSipp, freePort, freePortPair, freeMediaPort, assertPassed, trace} from './lib/sipp.js';
import {toneRtp, writeRtpPcap} from './lib/pcap.js';

const BARESIP = process.env.BARESIP || 'baresip';
const MODULE_PATH = process.env.BARESIP_MODULES || '/usr/lib/baresip/modules';
const MODULES = ['g711', 'ausine', 'aubridge', 'uuid', 'account', 'menu', 'ctrl_tcp'];

if (spawnSync(BARESIP, ['-h'], {encoding: 'utf8'}).error)
    throw new Error(`${BARESIP} is missing: run scripts/install-deps (Debian package baresip)`);
for (const m of MODULES) {
    if (!existsSync(join(MODULE_PATH, `${m}.so`)))
        throw new Error(`baresip module ${m}.so is not in ${MODULE_PATH}: run scripts/install-deps (Debian package baresip)`);
}
requireSipp();

const admin = {apiKey: DEMO_API_KEY};
const alive = new Set();
process.on('exit', () => {
    for (const p of alive) {
        try {
            p.kill('SIGKILL');
        } catch {
            /* gone */
        }
    }
});

/*
 * One baresip registered to srv as extension/password: {events,
 * command(), nextEvent(), output(), sipPort, close()}. answer 'auto'
 * answers incoming calls at once.
 */
async function startBaresip(t, srv, {extension, password, answer = 'manual'}) {
    const dir = makeTempDir(null, 'sb-baresip-');
    const sipPort = await freePortPair(); // and its TLS port, the next one
    const ctrlPort = await freePort();
    writeFileSync(join(dir, 'config'), [
        'poll_method\tepoll',
        `sip_listen\t127.0.0.1:${sipPort}`,
        'net_interface\t127.0.0.1', // SIP contact and SDP addresses on loopback
        'audio_player\taubridge,nowhere',
        'audio_alert\taubridge,nowhere',
        'audio_source\tausine,440',
        'ausrc_srate\t48000', // ausine makes 48 kHz stereo only; baresip resamples
        'ausrc_channels\t2',
        `module_path\t${MODULE_PATH}`,
        'module\tg711.so',
        'module\tausine.so',
        'module\taubridge.so',
        'module_tmp\tuuid.so',
        'module_tmp\taccount.so',
        'module_app\tmenu.so',
        'module_app\tctrl_tcp.so',
        `ctrl_tcp_listen\t127.0.0.1:${ctrlPort}`,
        ''].join('\n'));
    writeFileSync(join(dir, 'accounts'),
                  `<sip:${extension}@${srv.sip.host}:${srv.sip.port};transport=udp>;auth_user=${extension};` +
                  `auth_pass=${password};regint=600;answermode=${answer};audio_codecs=PCMU,PCMA\n`);
    const proc = spawn(BARESIP, ['-f', dir], {stdio: ['ignore', 'pipe', 'pipe']});
    alive.add(proc);
    let out = '';
    proc.stdout.on('data', (c) => (out += c));
    proc.stderr.on('data', (c) => (out += c));
    const exited = new Promise((res) => proc.on('exit', (code, sig) => {
        alive.delete(proc);
        res(code ?? sig);
    }));

    const bs = {proc, sipPort, dir, events: [], waiters: new Set(), responses: new Map(), sock: null,
                output: () => out};
    bs.close = async () => {
        if (bs.closed) return;
        bs.closed = true;
        if (proc.exitCode === null && proc.signalCode === null) {
            if (bs.sock && !bs.sock.destroyed) bs.command('quit').catch(() => {});
            const quit = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
            if (!quit) proc.kill('SIGKILL'); // e.g. its un-REGISTER unanswered
            await exited;
        }
        if (bs.sock) bs.sock.destroy();
        removeDir(dir);
    };
    t.after(() => bs.close());

    // ctrl_tcp: listening once baresip is ready
    const deadline = Date.now() + 10000;
    for (;;) {
        const sock = net.connect(ctrlPort, '127.0.0.1');
        const ok = await new Promise((res) => {
            sock.once('connect', () => res(true));
            sock.once('error', () => res(false));
        });
        if (ok) {
            bs.sock = sock;
            break;
        }
        sock.destroy();
        if (proc.exitCode !== null || Date.now() > deadline)
            throw new Error(`baresip's ctrl_tcp never listened on 127.0.0.1:${ctrlPort}\n${out}`);
        await sleep(50);
    }
    // Netstrings: LENGTH ":" JSON ",".
    let buf = Buffer.alloc(0);
    bs.sock.on('error', () => {});
    bs.sock.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        for (;;) {
            const colon = buf.indexOf(0x3a);
            if (colon < 0) break;
            const len = Number(buf.subarray(0, colon).toString());
            if (buf.length < colon + 1 + len + 1) break;
            const msg = JSON.parse(buf.subarray(colon + 1, colon + 1 + len).toString('utf8'));
            buf = buf.subarray(colon + 1 + len + 1);
            if (msg.response) {
                const r = bs.responses.get(msg.token);
                if (r) r(msg);
            } else if (msg.event) {
                bs.events.push(msg);
            }
            for (const w of bs.waiters) w();
        }
    });
    let n = 0;
    /* A command of baresip's menu ("dial", "hangup", "quit"); resolves with
     * its response {ok, data}. */
    bs.command = (command, params = '') => new Promise((res, rej) => {
        const token = `c${++n}`;
        const timer = setTimeout(() => rej(new Error(`no response to ${command} within 5 s\n${out}`)), 5000);
        bs.responses.set(token, (m) => {
            clearTimeout(timer);
            res(m);
        });
        const s = JSON.stringify({command, params, token});
        bs.sock.write(`${Buffer.byteLength(s)}:${s},`);
    });
    /* The first event (of all so far) of type, e.g. CALL_ESTABLISHED. */
    bs.nextEvent = (type, timeoutMs = 10000) => new Promise((res, rej) => {
        const check = () => {
            const e = bs.events.find((x) => x.type === type);
            if (!e) return;
            done();
            res(e);
        };
        const timer = setTimeout(() => {
            done();
            rej(new Error(`no ${type} event from baresip within ${timeoutMs} ms; events: ` +
                          `${bs.events.map((e) => e.type).join(' ')}\n${out}`));
        }, timeoutMs);
        const done = () => {
            clearTimeout(timer);
            bs.waiters.delete(check);
        };
        bs.waiters.add(check);
        check();
    });
    return bs;
}

async function registrations(srv) {
    const r = await api(srv.url, 'GET', '/v1/sip/registrations', admin);
    assert.equal(r.status, 200, r.text);
    return r.json.items;
}

/* baresip's registration (its contact is at its SIP port), once listed. */
async function registered(srv, bs) {
    for (let i = 0; i < 200; i++) {
        const reg = (await registrations(srv)).find((x) => x.contact.includes(`@127.0.0.1:${bs.sipPort}`));
        if (reg) return reg;
        await sleep(50);
    }
    assert.fail(`baresip never registered: ${JSON.stringify(await registrations(srv))}\n${bs.output()}`);
}

/* The newest call record once ended with its legs' figures. */
async function endedCall(srv, legs = 1) {
    let rec;
    for (let i = 0; i < 100; i++) {
        rec = (await api(srv.url, 'GET', '/v1/calls', admin)).json.items[0];
        if (rec && rec.state === 'ended' && rec.legs.length >= legs) return rec;
        await sleep(50);
    }
    assert.fail(`no ended call with ${legs} legs: ${JSON.stringify(rec)}`);
}

test('baresip registers as 1001, calls *43, hears the echo and hangs up; the call is recorded', async (t) => {
    const srv = await useServer(t);
    const bs = await startBaresip(t, srv, {extension: '1001', password: 'demo-alice'});

    const reg = await registered(srv, bs);
    assert.equal(reg.extension, '1001');
    assert.equal(reg.user, 'alice');
    assert.equal(String(reg.transport).toUpperCase(), 'UDP');
    assert.match(reg.userAgent, /^baresip v1\./, JSON.stringify(reg));
    assert.match(reg.contact, new RegExp(`^<?sip:1001[^@]*@127\\.0\\.0\\.1:${bs.sipPort}\\b`), reg.contact);

    const r = await bs.command('dial', `sip:*43@${srv.sip.host}:${srv.sip.port}`);
    assert.ok(r.ok, JSON.stringify(r));
    await bs.nextEvent('CALL_ESTABLISHED');
    // RTP from Switchboard: the echo of baresip's sine tone
    const rtp = await bs.nextEvent('CALL_RTPESTAB');
    assert.equal(rtp.param, 'audio');
    await sleep(2000); // 2 s of audio, about 100 packets
    assert.ok((await bs.command('hangup')).ok);
    await bs.nextEvent('CALL_CLOSED');

    const rec = await endedCall(srv, 1);
    assert.equal(rec.target, '*43');
    assert.equal(rec.application, 'echo');
    assert.equal(rec.callerUserId, reg.userId);
    assert.equal(rec.endedBy, 'caller');
    assert.equal(rec.endReason, 'hangup');
    assert.ok(rec.answeredAt && rec.endedAt, JSON.stringify(rec));
    const [leg] = rec.legs;
    assert.equal(leg.codec, 'PCMU', JSON.stringify(leg));
    assert.ok(leg.rxPackets >= 50, `baresip's audio came in: ${JSON.stringify(leg)}`);
    assert.ok(leg.txPackets >= 50, `and went back: ${JSON.stringify(leg)}`);

    // quit: baresip unregisters
    await bs.close();
    assert.ok(!(await registrations(srv)).some((x) => x.id === reg.id), 'the registration is gone after quit');
});

test('SIPp (alice) calls 1002, baresip (bob) answers: audio both ways, the caller hangs up', async (t) => {
    const srv = await useServer(t);
    const bs = await startBaresip(t, srv, {extension: '1002', password: 'demo-bob', answer: 'auto'});
    await registered(srv, bs);

    const dir = makeTempDir(t, 'sb-tone-');
    const pcap = join(dir, 'tone.pcap');
    writeRtpPcap(pcap, toneRtp({packets: 100}));
    const r = await runSipp(srv, 'call_bye.xml', {users: [['1001', '1001', 'demo-alice']], dial: '1002',
                                                  port: await freePort(), mediaPort: await freeMediaPort(),
                                                  files: {'tone.pcap': readFileSync(pcap)},
                                                  pauseMs: 2500, recvTimeoutMs: 15000});
    assertPassed(r);
    await bs.nextEvent('CALL_ESTABLISHED');
    await bs.nextEvent('CALL_CLOSED');
    assert.match(bs.events.find((e) => e.type === 'CALL_ESTABLISHED').direction, /incoming/);

    const rec = await endedCall(srv, 2);
    assert.equal(rec.application, 'extension');
    assert.equal(rec.target, '1002');
    assert.equal(rec.endedBy, 'caller', trace(r));
    for (const leg of rec.legs) {
        assert.ok(leg.rxPackets >= 50, `leg ${leg.leg}: ${JSON.stringify(rec.legs)}`);
        assert.ok(leg.txPackets >= 50, `leg ${leg.leg}: ${JSON.stringify(rec.legs)}`);
    }
    await bs.close(); // while the server still answers its un-REGISTER
});
