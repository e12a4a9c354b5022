// The SIP registrar (docs/voice.md), driven by SIPp with the scenarios in
// tests/sip/: digest authentication over UDP and TCP, several contacts per
// user, the registrations API and events, unregistering, wrong passwords,
// unknown extensions, OPTIONS, malformed requests, and the ban after too
// many failed authentications (on a server of its own, since it bans
// 127.0.0.1).
import {test, describe, before, after} from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import {
    startServer, api, login, userByName, demoConfigText, sleep, DEMO_API_KEY, DEMO_YAML,
} from './lib/server.js';
import {EventStream} from './lib/ws.js';
import {requireSipp, runSipp as sipp, freePort, trace, assertPassed, statuses} from './lib/sipp.js';

const admin = {apiKey: DEMO_API_KEY};
/* Injection file rows: extension; authentication user name; password. */
const ALICE = [['1001', '1001', 'demo-alice']];
const BOB = [['1002', '1002', 'demo-bob']];
const CAROL = [['1003', 'carol', 'demo-carol']]; // the login name as the user name

requireSipp();

/* Send raw bytes over UDP; resolves with the first datagram back, or null. */
async function udpExchange(srv, text, waitMs = 1500) {
    const sock = dgram.createSocket('udp4');
    await new Promise((res) => sock.bind(0, '127.0.0.1', res));
    const {port} = sock.address();
    const answer = new Promise((res) => {
        const timer = setTimeout(() => res(null), waitMs);
        sock.on('message', (m) => {
            clearTimeout(timer);
            res(m.toString('latin1'));
        });
    });
    sock.send(Buffer.from(text.replaceAll('LPORT', String(port)), 'latin1'), srv.sip.port, srv.sip.host);
    const a = await answer;
    sock.close();
    return a;
}

const rawOptions = (srv, branch) => [
    `OPTIONS sip:${srv.sip.host}:${srv.sip.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:LPORT;branch=z9hG4bK-${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@127.0.0.1:LPORT>;tag=${branch}`,
    `To: <sip:${srv.sip.host}:${srv.sip.port}>`,
    `Call-ID: ${branch}@127.0.0.1`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '', ''].join('\r\n');

async function registrations(srv, auth) {
    const r = await api(srv.url, 'GET', '/v1/sip/registrations', auth);
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.json.items), r.text);
    return r.json.items;
}

const contactPort = (item) => Number((/@[^:;>]+:(\d+)/.exec(item.contact) || [])[1]);
const atPort = (port) => (e) => String(e.data.contact).includes(`:${port}`);

/* The expires of alice's contact at port in the last 200 OK SIPp received
 * (a number), or null when that 200 does not list it. */
function listedExpires(r, port) {
    const last200 = r.messages.slice(r.messages.lastIndexOf('SIP/2.0 200'));
    const m = new RegExp(`sip:1001@127\\.0\\.0\\.1:${port}[;>][^,\\r\\n]*;\\s*expires=(\\d+)`, 'i').exec(last200);
    return m ? Number(m[1]) : null;
}

const isSipEvent = (type, pred = () => true) => (m) =>
    m.type === 'event' && m.event.topic === 'sip' && m.event.type === type && pred(m.event);

describe('SIP registrar', () => {
    let srv;
    const tokens = {};
    const ids = {};
    const streams = [];
    before(async () => {
        srv = await startServer({config: DEMO_YAML});
        for (const name of ['alice', 'bob']) {
            tokens[name] = await login(srv.url, name);
            ids[name] = (await userByName(srv.url, name)).id;
        }
    });
    after(async () => {
        await Promise.all(streams.map((s) => s.close()));
        if (srv) await srv.close();
    });
    const open = async (auth) => {
        const s = await EventStream.open(srv.url, {...auth, query: {topics: 'sip'}});
        streams.push(s);
        await s.drain(); // the subscription is in place
        return s;
    };

    test('the banner and the log name the SIP listener on a free port', async () => {
        assert.ok(srv.sip, `no SIP line in the banner:\n${srv.stdout()}`);
        assert.equal(srv.sip.host, '127.0.0.1');
        assert.ok(srv.sip.port > 0 && srv.sip.port !== 5060, `port ${srv.sip.port}`);
        assert.equal(srv.sip.realm, 'switchboard');
        assert.match(srv.stdout(), /^\s+SIP:\s+sip:127\.0\.0\.1:\d+ \(UDP and TCP\), realm "switchboard"$/m);
        await srv.waitForLog((l) => /component=sip/.test(l) && /msg="listening"/.test(l) &&
                                    l.includes(`addr=127.0.0.1:${srv.sip.port}`));
    });

    test('OPTIONS is answered 200 with Allow, Accept and Supported, over UDP and TCP', async () => {
        for (const transport of ['udp', 'tcp']) {
            const r = await sipp(srv, 'options.xml', {transport});
            assertPassed(r);
            assert.deepEqual(statuses(r), [200], trace(r));
        }
    });

    test('alice (1001) registers over UDP: 401, then 200 listing her contact; event and API', async () => {
        const aliceEvents = await open({token: tokens.alice});
        const adminEvents = await open(admin);
        const port = await freePort();
        const r = await sipp(srv, 'register.xml', {users: ALICE, port});
        assertPassed(r);
        assert.deepEqual(statuses(r), [401, 200], trace(r));
        assert.match(r.messages, /WWW-Authenticate:\s*Digest [^\n]*realm="switchboard"/i, trace(r));
        assert.match(r.messages, /WWW-Authenticate:[^\n]*qop="?auth/i, trace(r));

        for (const s of [aliceEvents, adminEvents]) {
            const m = await s.next(isSipEvent('registered', atPort(port)));
            assert.equal(m.event.data.extension, '1001', JSON.stringify(m.event));
            assert.equal(m.event.data.userId, ids.alice, JSON.stringify(m.event));
            // where it came from, e.g. "UDP:127.0.0.1:5071"
            assert.ok(String(m.event.data.source).includes(`127.0.0.1:${port}`), JSON.stringify(m.event));
        }

        const items = (await registrations(srv, admin)).filter((i) => contactPort(i) === port);
        assert.equal(items.length, 1, JSON.stringify(items));
        const [reg] = items;
        assert.equal(reg.userId, ids.alice);
        assert.equal(reg.user, 'alice');
        assert.equal(reg.extension, '1001');
        assert.match(reg.contact, new RegExp(`^(<)?sip:1001@127\\.0\\.0\\.1:${port}\\b`), reg.contact);
        assert.equal(String(reg.transport).toLowerCase(), 'udp');
        assert.ok(String(reg.source).includes(`127.0.0.1:${port}`), reg.source);
        assert.equal(reg.userAgent, 'SIPp switchboard-tests');
        const lifetime = Date.parse(reg.expiresAt) - Date.parse(reg.registeredAt);
        assert.ok(lifetime > 3500 * 1000 && lifetime <= 3600 * 1000,
                  `registered ${reg.registeredAt}, expires ${reg.expiresAt}`);
        assert.equal(typeof reg.id, 'string');
    });

    test('alice registers over TCP too (sipp -t t1)', async () => {
        const port = await freePort();
        const r = await sipp(srv, 'register.xml', {users: ALICE, port, transport: 'tcp'});
        assertPassed(r);
        assert.deepEqual(statuses(r), [401, 200], trace(r));
        const items = (await registrations(srv, admin)).filter((i) => contactPort(i) === port);
        assert.equal(items.length, 1, JSON.stringify(items));
        assert.equal(items[0].userId, ids.alice);
        assert.equal(String(items[0].transport).toLowerCase(), 'tcp');
    });

    test('the login name works as the authentication user name as well as the extension', async () => {
        const port = await freePort();
        const r = await sipp(srv, 'register.xml', {users: [['1001', 'alice', 'demo-alice']], port});
        assertPassed(r);
        assert.deepEqual(statuses(r), [401, 200], trace(r));
    });

    let deskPort, softPort;
    test('two contacts of one user are both listed; alice sees only her own', async () => {
        deskPort = await freePort();
        softPort = await freePort();
        for (const port of [deskPort, softPort])
            assertPassed(await sipp(srv, 'register.xml', {users: ALICE, port}));
        const bobPort = await freePort();
        assertPassed(await sipp(srv, 'register.xml', {users: BOB, port: bobPort}));

        // The second 200 lists both contacts (register.xml checked its own).
        const again = await sipp(srv, 'register.xml', {users: ALICE, port: softPort});
        assertPassed(again);
        for (const port of [deskPort, softPort])
            assert.ok(listedExpires(again, port) > 0, `the 200 lists contact :${port}\n${trace(again)}`);

        const all = await registrations(srv, admin);
        const alices = all.filter((i) => i.userId === ids.alice).map(contactPort);
        for (const port of [deskPort, softPort])
            assert.ok(alices.includes(port), `admin sees :${port}: ${JSON.stringify(all)}`);
        assert.ok(all.some((i) => i.userId === ids.bob && contactPort(i) === bobPort), JSON.stringify(all));

        const own = await registrations(srv, {token: tokens.alice});
        assert.ok(own.length >= 2, JSON.stringify(own));
        assert.ok(own.every((i) => i.userId === ids.alice), `alice sees only her own: ${JSON.stringify(own)}`);
        for (const port of [deskPort, softPort])
            assert.ok(own.map(contactPort).includes(port), JSON.stringify(own));
        const bobs = await registrations(srv, {token: tokens.bob});
        assert.ok(bobs.length >= 1 && bobs.every((i) => i.userId === ids.bob), JSON.stringify(bobs));
    });

    test("alice's event stream carries her registrations, not bob's", async () => {
        const aliceEvents = await open({token: tokens.alice});
        const adminEvents = await open(admin);
        const bobPort = await freePort();
        assertPassed(await sipp(srv, 'register.xml', {users: BOB, port: bobPort}));
        const m = await adminEvents.next(isSipEvent('registered', atPort(bobPort)));
        assert.equal(m.event.data.userId, ids.bob);
        const seen = await aliceEvents.drain();
        assert.ok(!seen.some((m) => m.type === 'event' && m.event.data && m.event.data.userId === ids.bob),
                  `alice saw bob's event: ${JSON.stringify(seen)}`);
    });

    test('Expires: 0 removes that contact only, with an unregistered event (reason client)', async () => {
        assert.ok(deskPort && softPort, 'needs the two-contact test before it');
        const events = await open(admin);
        const r = await sipp(srv, 'unregister.xml', {users: ALICE, port: softPort});
        assertPassed(r);
        assert.deepEqual(statuses(r), [401, 200], trace(r));
        const m = await events.next(isSipEvent('unregistered', atPort(softPort)));
        assert.equal(m.event.data.reason, 'client', JSON.stringify(m.event));
        assert.equal(m.event.data.userId, ids.alice);
        assert.equal(m.event.data.extension, '1001');
        const ports = (await registrations(srv, admin)).filter((i) => i.userId === ids.alice).map(contactPort);
        assert.ok(!ports.includes(softPort), `:${softPort} is gone: ${ports}`);
        assert.ok(ports.includes(deskPort), `:${deskPort} stays: ${ports}`);
    });

    test('an admin removes a registration: DELETE /v1/sip/registrations/{id}', async () => {
        const events = await open(admin);
        const reg = (await registrations(srv, admin)).find((i) => contactPort(i) === deskPort);
        assert.ok(reg, 'the desk phone is registered');
        let r = await api(srv.url, 'DELETE', `/v1/sip/registrations/${reg.id}`, {token: tokens.alice});
        assert.equal(r.status, 403, r.text);
        r = await api(srv.url, 'DELETE', `/v1/sip/registrations/${reg.id}`, admin);
        assert.equal(r.status, 204, r.text);
        const m = await events.next(isSipEvent('unregistered', atPort(deskPort)));
        assert.equal(m.event.data.reason, 'admin', JSON.stringify(m.event));
        assert.ok(!(await registrations(srv, admin)).some((i) => i.id === reg.id));
        r = await api(srv.url, 'DELETE', `/v1/sip/registrations/${reg.id}`, admin);
        assert.equal(r.status, 404, r.text);
    });

    test('Contact: * with Expires: 0 removes every contact of the user', async () => {
        for (let i = 0; i < 2; i++)
            assertPassed(await sipp(srv, 'register.xml', {users: CAROL, port: await freePort()}));
        const carol = await userByName(srv.url, 'carol');
        assert.equal((await registrations(srv, admin)).filter((i) => i.userId === carol.id).length, 2);
        const r = await sipp(srv, 'unregister_all.xml', {users: CAROL, port: await freePort()});
        assertPassed(r);
        assert.deepEqual(statuses(r), [401, 200], trace(r));
        assert.equal((await registrations(srv, admin)).filter((i) => i.userId === carol.id).length, 0);
    });

    test('a wrong password gets 403 Forbidden and registers nothing', async () => {
        const port = await freePort();
        const r = await sipp(srv, 'register_wrong.xml', {users: [['1004', '1004', 'demo-dave']], port});
        assertPassed(r);
        assert.deepEqual(statuses(r), [401, 403], trace(r));
        assert.ok(!(await registrations(srv, admin)).some((i) => contactPort(i) === port));
    });

    test("bob's own credentials do not register alice's extension: 403", async () => {
        const port = await freePort();
        for (const authUser of ['1002', 'bob']) {
            const r = await sipp(srv, 'register.xml', {users: [['1001', authUser, 'demo-bob']], port});
            assert.notEqual(r.code, 0, trace(r));
            assert.deepEqual(statuses(r), [401, 403], trace(r));
        }
        assert.ok(!(await registrations(srv, admin)).some((i) => contactPort(i) === port));
    });

    test('an unknown extension gets 404 Not Found', async () => {
        const r = await sipp(srv, 'register_unknown.xml', {users: [['9999', '9999', 'whatever']],
                                                           port: await freePort()});
        assertPassed(r);
        assert.equal(statuses(r).at(-1), 404, trace(r));
    });

    test('too short an interval gets 423 Interval Too Brief with Min-Expires: 60', async () => {
        const r = await sipp(srv, 'register_brief.xml', {users: BOB, port: await freePort()});
        assertPassed(r);
        assert.equal(statuses(r).at(-1), 423, trace(r));
        assert.match(r.messages, /Min-Expires:\s*60\b/i, trace(r));
    });

    test('a malformed REGISTER gets 400 or nothing, and the server stays up', async () => {
        const noCallId = [
            `REGISTER sip:${srv.sip.host}:${srv.sip.port} SIP/2.0`,
            'Via: SIP/2.0/UDP 127.0.0.1:LPORT;branch=z9hG4bK-nocallid;rport',
            'Max-Forwards: 70',
            'From: <sip:1001@127.0.0.1>;tag=nocallid',
            'To: <sip:1001@127.0.0.1>',
            'CSeq: 1 REGISTER',
            'Contact: <sip:1001@127.0.0.1:LPORT>',
            'Expires: 3600',
            'Content-Length: 0',
            '', ''].join('\r\n');
        const badCseq = noCallId.replace('CSeq: 1 REGISTER', 'Call-ID: badcseq@127.0.0.1\r\nCSeq: REGISTER one');
        for (const msg of [noCallId, badCseq]) {
            const a = await udpExchange(srv, msg);
            if (a !== null) assert.match(a, /^SIP\/2\.0 400 /, `answer to a malformed REGISTER:\n${a}`);
        }
        // Not SIP at all, a truncated request line, a huge datagram: no answer
        // is needed, only that the server stays up.
        const junks = ['\x00\x01\x02garbage\r\n\r\n', 'REGISTER\r\n\r\n',
                       `OPTIONS sip:x SIP/2.0\r\nVia: ${'x'.repeat(60000)}\r\n\r\n`];
        for (const junk of junks) await udpExchange(srv, junk, 300);
        // Over TCP: garbage, then a Content-Length longer than what follows.
        await new Promise((res) => {
            const c = net.connect(srv.sip.port, srv.sip.host, () => {
                c.write('GARBAGE\r\n\r\n');
                c.write(noCallId.replace('Content-Length: 0', 'Content-Length: 100000'));
                setTimeout(() => c.destroy(), 300);
            });
            c.on('error', () => {});
            c.on('close', res);
        });
        await sleep(200);
        assert.ok(srv.running, 'the server is still running');
        assertPassed(await sipp(srv, 'options.xml'));
        const h = await fetch(`${srv.url}/healthz`);
        assert.equal(h.status, 200);
    });
});

describe('SIP registrar: too many failed authentications ban the address', () => {
    let srv;
    before(async () => {
        srv = await startServer({configText: demoConfigText({sip: {maxAuthFailures: 3, banSeconds: 60}})});
    });
    after(async () => {
        if (srv) await srv.close();
    });

    // 11: more than maxAuthFailures here and than its default (10), so that
    // the ban below shows the configured limit at work.
    test('challenges are not failures: alice registers more times than maxAuthFailures', async () => {
        const port = await freePort(); // one contact, refreshed
        for (let i = 0; i < 11; i++)
            assertPassed(await sipp(srv, 'register.xml', {users: ALICE, port}));
    });

    test('after 3 wrong passwords 127.0.0.1 gets no answer at all, and HTTP still works', async () => {
        const wrong = async (n) => {
            const r = await sipp(srv, 'register_wrong.xml', {users: ALICE, port: await freePort()});
            assertPassed(r);
            assert.deepEqual(statuses(r), [401, 403], `wrong password ${n}\n${trace(r)}`);
        };
        await wrong(1);
        await wrong(2);
        // Two failures (and the challenges before them) are not enough.
        assertPassed(await sipp(srv, 'options.xml', {port: await freePort()}));
        await wrong(3);
        // Banned: OPTIONS (UDP and TCP) and a correct REGISTER time out.
        for (const [scenario, opts] of [['options.xml', {}], ['options.xml', {transport: 'tcp'}],
                                        ['register.xml', {users: ALICE}]]) {
            const r = await sipp(srv, scenario, {...opts, port: await freePort(), recvTimeoutMs: 2000});
            assert.notEqual(r.code, 0, `a banned address got through\n${trace(r)}`);
            assert.deepEqual(statuses(r), [], `a banned address got an answer\n${trace(r)}`);
            assert.doesNotMatch(r.messages, /message received/, trace(r));
        }
        assert.equal(await udpExchange(srv, rawOptions(srv, 'banned1')), null);
        assert.ok(srv.running);
        const h = await fetch(`${srv.url}/healthz`);
        assert.equal(h.status, 200);
    });
});

describe('SIP registrar: registrations expire', () => {
    let srv;
    let events;
    before(async () => {
        srv = await startServer({configText: demoConfigText({sip: {minExpires: 10, maxExpires: 10}})});
    });
    after(async () => {
        if (events) await events.close();
        if (srv) await srv.close();
    });

    test('Expires: 3600 is cut to maxExpires; then the contact goes (unregistered, expired)', async () => {
        events = await EventStream.open(srv.url, {...admin, query: {topics: 'sip'}});
        await events.drain();
        const port = await freePort();
        const r = await sipp(srv, 'register.xml', {users: ALICE, port});
        assertPassed(r);
        const expires = listedExpires(r, port);
        assert.ok(expires > 0 && expires <= 10, `expires cut to 10 s, not ${expires}:\n${trace(r)}`);
        const [reg] = (await registrations(srv, admin)).filter((i) => contactPort(i) === port);
        assert.ok(reg, 'registered');
        assert.equal(Date.parse(reg.expiresAt) - Date.parse(reg.registeredAt), 10000, JSON.stringify(reg));

        const gone = await events.next(isSipEvent('unregistered', atPort(port)), {timeoutMs: 30000});
        assert.equal(gone.event.data.reason, 'expired', JSON.stringify(gone.event));
        assert.equal(gone.event.data.userId, reg.userId);
        assert.ok(Date.now() >= Date.parse(reg.expiresAt) - 1000, 'not before its time');
        assert.ok(!(await registrations(srv, admin)).some((i) => contactPort(i) === port));
    });
});
