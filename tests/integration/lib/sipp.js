// SIPp (Debian package sip-tester, command `sipp`) for the integration
// tests: runs the scenarios of tests/sip/ against a server started by
// server.js, in the foreground (runSipp: to its end) or in the background
// (startSipp: a phone that waits for a call while the test places one;
// sippPhone: one registered first; startCarrierCalls: the carrier's calls,
// each caller playing a capture of tone and RFC 4733 keys), and reads
// what SIPp sent and received. (SIPp 3.6 prints no RTP counters
// on its final screen: the media is checked with the call records'
// per-leg figures.)
//
//   const r = await runSipp(srv, 'register.xml', {users: [['1001', '1001', 'demo-alice']], port});
//   assertPassed(r);
//   assert.deepEqual(statuses(r), [401, 200], trace(r));
//
// Every SIPp started is killed when its test ends (kill()) or, at the
// latest, when the test process exits; its temporary folder is removed.
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {writeFileSync, readFileSync, existsSync} from 'node:fs';
import {join} from 'node:path';
import dgram from 'node:dgram';
import net from 'node:net';
import {makeTempDir, removeDir, sleep, REPO} from './server.js';
import {callerRtp, rtpPcap} from './pcap.js';

export const SIP_DIR = join(REPO, 'tests/sip');
export const SIPP = process.env.SIPP || 'sipp';
/* RFC 4733 telephone-event captures shipped by the Debian package. */
export const SIPP_SHARE = '/usr/share/sip-tester';

/* Fail the test file at once, with what to do, when SIPp is missing. */
export function requireSipp() {
    if (spawnSync(SIPP, ['-v'], {encoding: 'utf8'}).error)
        throw new Error(`${SIPP} is missing: run scripts/install-deps (Debian package sip-tester)`);
}

/* Whether port is free for UDP (and for TCP when tcp) on 127.0.0.1. */
async function portFree(port, {tcp = true} = {}) {
    if (tcp) {
        const srv = net.createServer();
        const ok = await new Promise((res) => {
            srv.once('error', () => res(false));
            srv.listen(port, '127.0.0.1', () => res(true));
        });
        if (!ok) return false;
        await new Promise((res) => srv.close(res));
    }
    const sock = dgram.createSocket('udp4');
    const ok = await new Promise((res) => {
        sock.once('error', () => res(false));
        sock.bind(port, '127.0.0.1', () => res(true));
    });
    await new Promise((res) => sock.close(res)).catch(() => {});
    return ok;
}

/* A port free for both UDP and TCP on 127.0.0.1 (for SIPp's -p). */
export async function freePort() {
    for (;;) {
        const srv = net.createServer();
        await new Promise((res, rej) => srv.once('error', rej).listen(0, '127.0.0.1', res));
        const {port} = srv.address();
        await new Promise((res) => srv.close(res));
        if (await portFree(port, {tcp: false})) return port;
    }
}

/* A port p free for UDP and TCP with p+1 free for TCP too: baresip
 * listens for SIP over TLS on the port after its sip_listen port. */
export async function freePortPair() {
    for (;;) {
        const p = await freePort();
        if (p < 65535 && await portFree(p + 1, {tcp: true})) return p;
    }
}

/* An even UDP port p with p, p+1, p+2 and p+3 free: SIPp's -mp (its RTP
 * echo binds p and p+2, the video one). */
export async function freeMediaPort() {
    for (;;) {
        let p = await freePort();
        p -= p % 2;
        if (p + 3 > 65535) continue;
        let ok = true;
        for (let i = 0; i < 4 && ok; i++) ok = await portFree(p + i, {tcp: false});
        if (ok) return p;
    }
}

/* Whether something has bound UDP port, read from /proc/net/udp (Linux)
 * rather than by trying to bind it, which could make SIPp's own bind
 * fail. */
function udpBound(port) {
    const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    return ['/proc/net/udp', '/proc/net/udp6'].some((f) => {
        try {
            // "  sl  local_address ...": e.g. "  12: 0100007F:13C4 00000000:0000 07 ..."
            return readFileSync(f, 'utf8').split('\n').slice(1)
                .some((l) => (l.trim().split(/\s+/)[1] || '').endsWith(hex));
        } catch {
            return false;
        }
    });
}

/* Resolves once something has bound UDP port (i.e. SIPp is listening). */
export async function waitBound(port, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    while (!udpBound(port)) {
        if (Date.now() > deadline) throw new Error(`nothing bound UDP 127.0.0.1:${port} within ${timeoutMs} ms`);
        await sleep(20);
    }
}

const running = new Set();
process.on('exit', () => {
    for (const p of running) {
        try {
            p.kill('SIGKILL');
        } catch {
            /* gone */
        }
    }
});

/*
 * Start one SIPp scenario of tests/sip/ against srv. Options:
 *   users      rows of [extension, authUser, password, ...] for the
 *              injection file (-inf), one row per call
 *   transport  'udp' (default) or 'tcp'
 *   port       SIPp's local SIP port (-p), i.e. the contact's
 *   mediaPort  SIPp's RTP port (-mp; [media_port] in the SDP); rtpEcho
 *              true echoes the RTP it gets there back to its sender
 *   dial       the number a call scenario dials: [dial] in the scenario,
 *              and the URI of its digest answer (-auth_uri), which must be
 *              the Request-URI's
 *   keys       {name: value} for -key: [name] in the scenario
 *   files      {name: Buffer or string} written into SIPp's working folder
 *              (play_pcap_audio paths are relative to it)
 *   pauseMs    -d: the length of <pause/> without milliseconds
 *   calls      -m (default 1); recvTimeoutMs: -recv_timeout;
 *              timeoutS: -timeout (SIPp gives up, failing)
 *   args       more arguments
 * Returns {proc, pid, argv, dir, done, kill}: done resolves with the
 * result of the run (see finish()), kill() stops SIPp (SIGKILL) and waits.
 */
export function startSipp(srv, scenario, {users, transport = 'udp', port, mediaPort, rtpEcho = false,
                                          dial, keys = {}, files = {}, pauseMs, recvTimeoutMs = 5000,
                                          timeoutS = 60, calls = 1, args = []} = {}) {
    assert.ok(srv.sip, 'the server printed no SIP line in its banner');
    const dir = makeTempDir(null, 'sb-sipp-');
    const paths = {
        messages: join(dir, 'messages.log'),
        errors: join(dir, 'errors.log'),
        log: join(dir, 'log.log'),
    };
    const argv = [`${srv.sip.host}:${srv.sip.port}`, '-sf', join(SIP_DIR, scenario),
                  '-i', '127.0.0.1', '-m', String(calls), '-nostdin', '-nd',
                  '-recv_timeout', String(recvTimeoutMs), '-timeout', String(timeoutS), '-timeout_error',
                  '-trace_msg', '-message_file', paths.messages,
                  '-trace_err', '-error_file', paths.errors,
                  '-trace_logs', '-log_file', paths.log];
    if (users) {
        const csv = join(dir, 'users.csv');
        writeFileSync(csv, `SEQUENTIAL\n${users.map((u) => u.join(';')).join('\n')}\n`);
        argv.push('-inf', csv);
    }
    if (transport === 'tcp') argv.push('-t', 't1');
    if (port) argv.push('-p', String(port));
    if (mediaPort) argv.push('-mi', '127.0.0.1', '-mp', String(mediaPort));
    if (rtpEcho) argv.push('-rtp_echo');
    if (pauseMs !== undefined) argv.push('-d', String(pauseMs));
    if (dial !== undefined) {
        argv.push('-key', 'dial', String(dial),
                  '-auth_uri', `${dial}@${srv.sip.host}:${srv.sip.port}`);
    }
    for (const [k, v] of Object.entries(keys)) argv.push('-key', k, String(v));
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    argv.push(...args);

    const proc = spawn(SIPP, argv, {stdio: ['ignore', 'pipe', 'pipe'], cwd: dir});
    running.add(proc);
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => (stdout += c));
    proc.stderr.on('data', (c) => (stderr += c));
    const killTimer = setTimeout(() => proc.kill('SIGKILL'), (timeoutS + 30) * 1000);
    const done = new Promise((res) => {
        proc.on('error', (e) => (stderr += `\nspawn: ${e.message}`));
        proc.on('close', (code, sig) => {
            clearTimeout(killTimer);
            running.delete(proc);
            const read = (f) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
            res({code: code ?? sig, messages: read(paths.messages), errors: read(paths.errors),
                 log: read(paths.log), stdout, stderr, argv, scenario});
            removeDir(dir);
        });
    });
    return {
        proc, pid: proc.pid, argv, dir, done,
        async kill() {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
            return done;
        },
    };
}

/* Run one scenario to its end: the result of startSipp's done. code 0
 * means every call of the scenario succeeded. */
export function runSipp(srv, scenario, opts) {
    return startSipp(srv, scenario, opts).done;
}

/*
 * A registered phone: SIPp registers users (rows as startSipp's, all from
 * one free port, register.xml), then waits on that port with scenario in
 * the background for Switchboard's INVITEs (every user's calls come to it;
 * the calls take the rows in turn). More options as startSipp's; the audio
 * received is echoed (rtpEcho) unless told otherwise. Resolves with
 * startSipp's handle, plus port, once SIPp listens.
 */
export async function sippPhone(srv, users, scenario, opts = {}) {
    const port = opts.port ?? await freePort();
    assertPassed(await runSipp(srv, 'register.xml', {users, port, calls: users.length}));
    const uas = startSipp(srv, scenario, {users, port, mediaPort: await freeMediaPort(), rtpEcho: true,
                                          recvTimeoutMs: 30000, ...opts});
    await waitBound(port); // listening for the INVITE
    return {...uas, port};
}

/*
 * Calls the carrier delivers (from 127.0.0.1, no credentials): rows of
 * [number dialled, caller's number], all placed by one SIPp, each caller
 * playing the RTP of steps (callerRtp() of pcap.js: tone, silence, keys as
 * RFC 4733 events). The calls wait for the far side to hang up
 * (carrier_call.xml), or with hangUpAfterMs hang up that long after the
 * capture starts (carrier_call_bye.xml). More options as startSipp's.
 * Returns startSipp's handle; its done resolves once every call is over.
 */
export async function startCarrierCalls(srv, rows, steps, {hangUpAfterMs, ...opts} = {}) {
    return startSipp(srv, hangUpAfterMs === undefined ? 'carrier_call.xml' : 'carrier_call_bye.xml', {
        users: rows, calls: rows.length, port: await freePort(), mediaPort: await freeMediaPort(),
        files: {'caller.pcap': rtpPcap(callerRtp(steps))}, pauseMs: hangUpAfterMs, recvTimeoutMs: 30000,
        timeoutS: 120, args: ['-l', String(rows.length), '-r', '10'], ...opts,
    });
}

/* For assertion messages: what SIPp sent and got. */
export function trace(r) {
    return `sipp ${r.argv.join(' ')}\nexit ${r.code}\n--- errors:\n${r.errors.slice(-3000)}\n` +
           `--- messages:\n${r.messages.slice(-6000)}\n--- stderr:\n${r.stderr.slice(-1000)}`;
}

export function assertPassed(r) {
    assert.equal(r.code, 0, `the scenario ${r.scenario} failed\n${trace(r)}`);
}

/* The status codes of the responses SIPp received, in order (provisional
 * ones left out, a response repeated for a retransmission counted once). */
export function statuses(r) {
    const codes = [...r.messages.matchAll(/message received \[\d+\] bytes :\s*\nSIP\/2\.0 (\d{3})/g)]
        .map((m) => Number(m[1])).filter((c) => c >= 200 || c < 100);
    return codes.filter((c, i) => i === 0 || c !== codes[i - 1]);
}

/* The SIP messages a SIPp still running (startSipp's handle) has received
 * or sent so far: SIPp writes its -trace_msg log as it goes. */
export function messagesSoFar(h, way = 'received') {
    const f = join(h.dir, 'messages.log');
    return messages({messages: existsSync(f) ? readFileSync(f, 'utf8') : ''}, way);
}

/* The SIP messages SIPp received ('received') or sent ('sent'), as text,
 * in order (from its -trace_msg log). */
export function messages(r, way = 'received') {
    const head = way === 'sent' ? /^\w+ message sent \(\d+ bytes\):\s*\n/ : /^\w+ message received \[\d+\] bytes :\s*\n/;
    return r.messages.split(/^-{20,}.*$/m).map((b) => b.replace(/^\s*\n/, ''))
        .filter((b) => head.test(b)).map((b) => b.replace(head, '').trim());
}
