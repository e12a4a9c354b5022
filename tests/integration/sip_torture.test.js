// RFC 4475 "SIP Torture Test Messages" against a running server: each
// message of tests/sip/torture/ (one file per message, named after the
// RFC's test; CRLF line endings) goes over UDP, a few over TCP too, and
// must get the answer below, and after every one the server must still be
// up and answer OPTIONS. Placeholders in the files: [local] is our socket's
// address (the top Via, so that answers come back to us), [transport] UDP
// or TCP.
//
// What a registrar and UAS like ours answers (docs/voice.md): OPTIONS 200;
// REGISTER for a known extension the 401 challenge (authentication comes
// before anything else in the request is looked at), an unknown one 404;
// INVITE the 407 challenge; methods we do not handle 501; responses that
// match no transaction of ours are dropped. Malformed requests get 400
// from the checks every request passes first (src/sip/check.c), or are
// dropped without an answer when libre's parser cannot read them at all.
// "none" means no answer at all (and the server still up).
//
// | file       | RFC 4475 | what it tortures                                     | expected |
// |------------|----------|------------------------------------------------------|----------|
// | wsinv      | 3.1.1.1  | odd LWS, folding, compact forms, escapes (INVITE)    | 407 |
// | intmeth    | 3.1.1.2  | every token character in method, URI, header names   | 501 (unknown method) |
// | esc01      | 3.1.1.3  | %-escapes in URIs (INVITE)                           | 407 |
// | escnull    | 3.1.1.4  | escaped NULs in URIs (REGISTER)                      | 404 (no such user) |
// | esc02      | 3.1.1.5  | % that is no escape: method RE%47IST%45R             | 501 (not REGISTER) |
// | lwsdisp    | 3.1.1.6  | no LWS between display name and < (OPTIONS)          | 200 |
// | longreq    | 3.1.1.7  | very long values, 31 Vias (INVITE)                   | 407 |
// | dblreq     | 3.1.1.8  | an INVITE after the REGISTER in one datagram         | 401, and nothing for the INVITE |
// | semiuri    | 3.1.1.9  | ; in the user part of the Request-URI (OPTIONS)      | 200 |
// | transports | 3.1.1.10 | Vias with SCTP, TLS, UNKNOWN transports (OPTIONS)    | 200 |
// | mpart01    | 3.1.1.11 | multipart/signed body (MESSAGE)                      | 501 (MESSAGE not handled) |
// | unreason   | 3.1.1.12 | UTF-8 reason phrase (a response)                     | none (stray response) |
// | noreason   | 3.1.1.13 | empty reason phrase (a response)                     | none (stray response) |
// | badinv01   | 3.1.2.1  | empty Via values ";;,;,,"                            | 400 |
// | clerr      | 3.1.2.2  | Content-Length longer than the datagram              | 400 (UDP); none over TCP (waits for the rest) |
// | ncl        | 3.1.2.3  | negative Content-Length                              | 400 |
// | scalar02   | 3.1.2.4  | CSeq 2^65, Max-Forwards 300, huge Expires (REGISTER) | 400 |
// | scalarlg   | 3.1.2.5  | overlarge values in a response                       | none |
// | quotbal    | 3.1.2.6  | unterminated quoted display name                     | 400 |
// | ltgtruri   | 3.1.2.7  | Request-URI in <>                                    | 400 |
// | lwsruri    | 3.1.2.8  | LWS inside the Request-URI                           | none (libre cannot read the request line) |
// | lwsstart   | 3.1.2.9  | several SP between request-line elements             | none (the same) |
// | trws       | 3.1.2.10 | SP after the SIP version                             | none (the same) |
// | escruri    | 3.1.2.11 | escaped headers in the Request-URI                   | 400 |
// | baddate    | 3.1.2.12 | Date with a non-GMT zone (INVITE)                    | 407 (Date is not used) |
// | regbadct   | 3.1.2.13 | Contact URI with ? not in <> (REGISTER)              | 401 (challenged first) |
// | badaspec   | 3.1.2.14 | spaces inside the <> of From and To                  | 400 |
// | baddn      | 3.1.2.15 | unquoted display names with commas                   | 400 |
// | badvers    | 3.1.2.16 | SIP/7.0                                              | none (RFC: 505; libre drops it) |
// | mismatch01 | 3.1.2.17 | OPTIONS with CSeq method INVITE                      | 400 |
// | mismatch02 | 3.1.2.18 | unknown method with CSeq method INVITE               | 400 |
// | bigcode    | 3.1.2.19 | status code 4294967301 (a response)                  | none |
// | badbranch  | 3.2.1    | branch is only the magic cookie (OPTIONS)            | 200 |
// | insuf      | 3.3.1    | no Call-ID, From, To, Max-Forwards (INVITE)          | 400 |
// | unkscm     | 3.3.2    | unknown Request-URI scheme                           | 416 |
// | novelsc    | 3.3.3    | known but atypical scheme (soap.beep)                | 416 |
// | unksm2     | 3.3.4    | isbn:, http:, name: URIs in To, From, Contact        | none (libre cannot read To) |
// | bext01     | 3.3.5    | Require and Proxy-Require nobody supports (OPTIONS)  | 420 with Unsupported |
// | invut      | 3.3.6    | unknown Content-Type (INVITE)                        | 407 (challenged first; then 488) |
// | regaut01   | 3.3.7    | unknown Authorization scheme (REGISTER)              | 401 with our Digest challenge |
// | multi01    | 3.3.8    | two Call-ID, To, From, Max-Forwards (INVITE)         | 400 |
// | mcl01      | 3.3.9    | two Content-Length values                            | 400 |
// | bcast      | 3.3.10   | 200 with a broadcast Via (a response)                | none |
// | zeromf     | 3.3.11   | Max-Forwards: 0 to us as the target (OPTIONS)        | 200 |
// | cparam01   | 3.3.12   | Contact header parameter without <> (REGISTER)       | 401 |
// | cparam02   | 3.3.13   | Contact URI parameter in <> (REGISTER)               | 401 |
// | regescrt   | 3.3.14   | Contact with an escaped Route header (REGISTER)      | 401 |
// | sdp01      | 3.3.15   | Accept: text/nobodyknowsthis (INVITE)                | 407 (challenged first) |
// | inv2543    | 3.4.1    | RFC 2543 INVITE: no branch, no tags                  | none (libre needs a branch) |
import {test, describe, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync, readdirSync} from 'node:fs';
import {join} from 'node:path';
import dgram from 'node:dgram';
import net from 'node:net';
import {startServer, REPO, DEMO_YAML} from './lib/server.js';

const DIR = join(REPO, 'tests/sip/torture');
const NONE = null;

/* file -> {status: an answer's code or NONE, valid: a valid message of
 * the RFC (its Content-Length must match its body), tcp: also over TCP
 * (the expected answer there, if not the same)}. */
const EXPECT = {
    wsinv: {status: 407, valid: true, tcp: 407},
    intmeth: {status: 501, valid: true},
    esc01: {status: 407, valid: true, tcp: 407},
    escnull: {status: 404, valid: true},
    esc02: {status: 501, valid: true},
    lwsdisp: {status: 200, valid: true, tcp: 200},
    longreq: {status: 407, valid: true, tcp: 407},
    dblreq: {status: 401, valid: true},
    semiuri: {status: 200, valid: true},
    transports: {status: 200, valid: true},
    mpart01: {status: 501, valid: true, tcp: 501},
    unreason: {status: NONE, valid: true, tcp: NONE},
    noreason: {status: NONE, valid: true},
    badinv01: {status: 400},
    clerr: {status: 400, tcp: NONE},
    ncl: {status: 400, tcp: 400},
    scalar02: {status: 400},
    scalarlg: {status: NONE},
    quotbal: {status: 400},
    ltgtruri: {status: 400},
    lwsruri: {status: NONE},
    lwsstart: {status: NONE},
    trws: {status: NONE},
    escruri: {status: 400},
    baddate: {status: 407},
    regbadct: {status: 401},
    badaspec: {status: 400},
    baddn: {status: 400},
    badvers: {status: NONE},
    mismatch01: {status: 400},
    mismatch02: {status: 400},
    bigcode: {status: NONE},
    badbranch: {status: 200},
    insuf: {status: 400},
    unkscm: {status: 416},
    novelsc: {status: 416},
    unksm2: {status: NONE},
    bext01: {status: 420, tcp: 420},
    invut: {status: 407},
    regaut01: {status: 401},
    multi01: {status: 400},
    mcl01: {status: 400, tcp: 400},
    bcast: {status: NONE},
    zeromf: {status: 200},
    cparam01: {status: 401},
    cparam02: {status: 401},
    regescrt: {status: 401},
    sdp01: {status: 407},
    inv2543: {status: NONE},
};

const fill = (buf, local, transport) =>
    Buffer.from(buf.toString('latin1').replaceAll('[local]', local).replaceAll('[transport]', transport),
                'latin1');

/* The final answers (status >= 200) to a datagram within waitMs (after the
 * first one, only graceMs more). */
async function overUdp(srv, buf, {waitMs = 1500, graceMs = 150} = {}) {
    const sock = dgram.createSocket('udp4');
    await new Promise((res) => sock.bind(0, '127.0.0.1', res));
    const answers = [];
    const done = new Promise((res) => {
        let timer = setTimeout(res, waitMs);
        sock.on('message', (m) => {
            const text = m.toString('latin1');
            const code = Number(/^SIP\/2\.0 (\d{3}) /.exec(text)?.[1]);
            if (!(code >= 200)) return;
            answers.push({code, text});
            clearTimeout(timer);
            timer = setTimeout(res, graceMs);
        });
    });
    sock.send(fill(buf, `127.0.0.1:${sock.address().port}`, 'UDP'), srv.sip.port, srv.sip.host);
    await done;
    sock.close();
    return answers;
}

/* The same over a TCP connection of its own. */
async function overTcp(srv, buf, waitMs = 1500) {
    const answers = [];
    let data = '';
    await new Promise((res) => {
        const c = net.connect(srv.sip.port, srv.sip.host, () => {
            c.write(fill(buf, `127.0.0.1:${c.localPort}`, 'TCP'));
        });
        const timer = setTimeout(() => c.destroy(), waitMs);
        c.on('data', (chunk) => {
            data += chunk.toString('latin1');
            for (const m of data.matchAll(/^SIP\/2\.0 (\d{3}) [^\r\n]*/gm)) {
                if (Number(m[1]) >= 200 && !answers.some((a) => a.index === m.index))
                    answers.push({code: Number(m[1]), index: m.index, text: data.slice(m.index)});
            }
            if (answers.length) {
                clearTimeout(timer);
                setTimeout(() => c.destroy(), 150);
            }
        });
        c.on('error', () => {});
        c.on('close', () => {
            clearTimeout(timer);
            res();
        });
    });
    return answers;
}

const options = (branch) => Buffer.from([
    'OPTIONS sip:probe@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP [local];branch=z9hG4bK-alive-${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@127.0.0.1>;tag=${branch}`,
    'To: <sip:probe@127.0.0.1>',
    `Call-ID: alive-${branch}@127.0.0.1`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '', ''].join('\r\n'), 'latin1');

function describeAnswer(answers) {
    return answers.length ? answers.map((a) => a.text.split('\r\n\r\n')[0]).join('\n---\n') : '(no answer)';
}

describe('SIP: RFC 4475 torture messages', () => {
    let srv;
    before(async () => {
        srv = await startServer({config: DEMO_YAML});
    });
    after(async () => {
        if (srv) await srv.close(); // fails on a crash or a sanitizer report
    });

    const files = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort();

    test('every message file has an expectation, and every expectation a file', () => {
        const names = files.map((f) => f.replace(/\.txt$/, ''));
        assert.deepEqual(names, Object.keys(EXPECT).sort());
    });

    test('the files use CRLF, and the valid ones declare their body length right', () => {
        for (const f of files) {
            const b = readFileSync(join(DIR, f));
            const text = b.toString('latin1');
            assert.ok(!/(^|[^\r])\n/.test(text), `${f}: a bare LF`);
            const name = f.replace(/\.txt$/, '');
            if (!EXPECT[name].valid || name === 'dblreq') continue;
            const end = text.indexOf('\r\n\r\n');
            const head = text.slice(0, end).replace(/\r\n[ \t]+/g, ' ');
            const m = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)/im.exec(head);
            assert.ok(m, `${f}: no Content-Length`);
            assert.equal(Number(m[1]), b.length - end - 4, `${f}: Content-Length`);
        }
    });

    for (const name of Object.keys(EXPECT)) {
        const want = EXPECT[name];
        test(`${name} over UDP: ${want.status ?? 'no answer'}, and OPTIONS answered after it`, async () => {
            const buf = readFileSync(join(DIR, `${name}.txt`));
            const answers = await overUdp(srv, buf, {waitMs: want.status === NONE ? 700 : 3000,
                                                     graceMs: name === 'dblreq' ? 600 : 150});
            assert.ok(srv.running, `the server died on ${name}`);
            if (want.status === NONE) {
                assert.equal(answers.length, 0, `${name}: expected no answer, got\n${describeAnswer(answers)}`);
            } else {
                assert.equal(answers.length, 1, `${name}: one answer expected, got\n${describeAnswer(answers)}`);
                assert.equal(answers[0].code, want.status, `${name}:\n${describeAnswer(answers)}`);
            }
            const a = answers[0]?.text;
            if (want.status === 401)
                assert.match(a, /^WWW-Authenticate: Digest /m, a);
            if (want.status === 407)
                assert.match(a, /^Proxy-Authenticate: Digest /m, a);
            if (want.status === 420)
                assert.match(a, /^Unsupported: nothingSupportsThis, nothingSupportsThisEither\r$/m, a);
            const alive = await overUdp(srv, options(name));
            assert.equal(alive[0]?.code, 200, `OPTIONS after ${name}: ${describeAnswer(alive)}`);
        });
    }

    for (const name of Object.keys(EXPECT).filter((n) => 'tcp' in EXPECT[n])) {
        const want = EXPECT[name].tcp;
        test(`${name} over TCP: ${want ?? 'no answer'}, and OPTIONS answered after it`, async () => {
            const buf = readFileSync(join(DIR, `${name}.txt`));
            const answers = await overTcp(srv, buf, want === NONE ? 700 : 3000);
            assert.ok(srv.running, `the server died on ${name} over TCP`);
            if (want === NONE)
                assert.equal(answers.length, 0, `${name}: expected no answer, got\n${describeAnswer(answers)}`);
            else
                assert.equal(answers[0]?.code, want, `${name}:\n${describeAnswer(answers)}`);
            const alive = await overUdp(srv, options(`tcp-${name}`));
            assert.equal(alive[0]?.code, 200, `OPTIONS after ${name} over TCP: ${describeAnswer(alive)}`);
        });
    }

    test('all of them again at once, UDP and TCP interleaved: the server stays up', async () => {
        await Promise.all(Object.keys(EXPECT).flatMap((name) => {
            const buf = readFileSync(join(DIR, `${name}.txt`));
            return [overUdp(srv, buf, {waitMs: 700}), overTcp(srv, buf, 700)];
        }));
        assert.ok(srv.running);
        const alive = await overUdp(srv, options('end'));
        assert.equal(alive[0]?.code, 200, describeAnswer(alive));
    });
});
