// SIP over TLS (docs/voice.md): the server makes a self-signed certificate
// once and keeps it with its data; a phone that trusts that certificate
// registers over TLS, asks OPTIONS and places a call; a configured
// certificate that cannot be read stops the start with a clear message.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {randomBytes} from 'node:crypto';
import {useServer, startServer, api, demoConfigText, makeTempDir, sleep, DEMO_API_KEY} from './lib/server.js';
import {parseSip, digestHeader} from './lib/sipua.js';

const rand = () => randomBytes(6).toString('hex');

/* A SIP phone on one TLS connection. */
class TlsPhone {
    static async open(port, ca) {
        const p = new TlsPhone();
        p.buf = '';
        p.inbox = [];
        p.waiters = [];
        p.sock = tls.connect({host: '127.0.0.1', port, ca, servername: undefined});
        await new Promise((res, rej) => p.sock.once('secureConnect', res).once('error', rej));
        p.local = `${p.sock.localAddress}:${p.sock.localPort}`;
        p.sock.setEncoding('latin1');
        p.sock.on('data', (d) => {
            p.buf += d;
            for (;;) {
                const end = p.buf.indexOf('\r\n\r\n');
                if (end < 0) return;
                const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(p.buf.slice(0, end))?.[1] || 0);
                if (p.buf.length < end + 4 + len) return;
                p.inbox.push(parseSip(p.buf.slice(0, end + 4 + len)));
                p.buf = p.buf.slice(end + 4 + len);
                for (const w of p.waiters.slice()) w();
            }
        });
        return p;
    }

    next(pred = (m) => m.status >= 200, timeoutMs = 5000) {
        return new Promise((resolve, reject) => {
            const check = () => {
                const i = this.inbox.findIndex(pred);
                if (i < 0) return;
                const [m] = this.inbox.splice(i, 1);
                clearTimeout(timer);
                this.waiters = this.waiters.filter((w) => w !== check);
                resolve(m);
            };
            const timer = setTimeout(() => reject(new Error('no answer over TLS')), timeoutMs);
            this.waiters.push(check);
            check();
        });
    }

    send(method, uri, {user, callId, fromTag, toTag, cseq, extra = [], body = ''}) {
        this.sock.write([
            `${method} ${uri} SIP/2.0`,
            `Via: SIP/2.0/TLS ${this.local};branch=z9hG4bK${rand()};rport`,
            `From: <sip:${user}@127.0.0.1>;tag=${fromTag}`,
            `To: <${method === 'REGISTER' ? `sip:${user}@127.0.0.1` : uri}>${toTag ? `;tag=${toTag}` : ''}`,
            `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`,
            `Contact: <sip:${user}@${this.local};transport=tls>`, 'Max-Forwards: 70', ...extra,
            ...(body ? ['Content-Type: application/sdp'] : []),
            `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n'));
    }

    /* A request answering one digest challenge; the final answer. */
    async request(method, uri, {user, password, body = '', extra = []}) {
        const d = {user, callId: `${rand()}@127.0.0.1`, fromTag: rand(), cseq: 1, body, extra};
        this.send(method, uri, d);
        let res = await this.next();
        if (res.status === 401 || res.status === 407) {
            const hdr = res.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
            const auth = digestHeader(res.headers[hdr][0], {user, password, method, uri});
            if (method === 'INVITE') this.send('ACK', uri, {...d, toTag: /tag=([^;>\s]+)/.exec(res.headers.to[0])?.[1]});
            d.cseq = 2;
            this.send(method, uri, {...d, extra: [...extra, `${res.status === 401 ? 'Authorization' : 'Proxy-Authorization'}: ${auth}`]});
            res = await this.next();
        }
        return {res, dialog: {...d, toTag: /tag=([^;>\s]+)/.exec(res.headers.to[0])?.[1]}};
    }

    close() {
        this.sock.destroy();
    }
}

function tlsPort(srv) {
    const line = srv.logs().find((l) => /component=sip msg="listening" .*transports=tls/.test(l));
    assert.ok(line, 'the log names the TLS listener');
    return Number(/addr=127\.0\.0\.1:(\d+)/.exec(line)[1]);
}

test('a phone that trusts our certificate registers and calls over TLS', async (t) => {
    const srv = await useServer(t);
    assert.match(srv.stdout(), /^\s+SIP TLS:\s+sips:127\.0\.0\.1:\d+$/m, 'the banner names it');
    const certFile = join(srv.dataDir, 'tls/sip.pem');
    const pem = readFileSync(certFile, 'utf8');
    assert.match(pem, /BEGIN PRIVATE KEY/);
    const ca = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)[0];
    const port = tlsPort(srv);

    // The certificate is verified (CA: itself; subjectAltName IP 127.0.0.1).
    const phone = await TlsPhone.open(port, ca);
    t.after(() => phone.close());
    const reg = await phone.request('REGISTER', `sip:127.0.0.1:${port}`, {user: '1001', password: 'demo-alice',
        extra: ['Expires: 300']});
    assert.equal(reg.res.status, 200, `${reg.res.status} ${reg.res.reason}`);
    const regs = await api(srv.url, 'GET', '/v1/sip/registrations', {apiKey: DEMO_API_KEY});
    const mine = regs.json.items.find((r) => r.extension === '1001');
    assert.ok(mine, JSON.stringify(regs.json));
    assert.match(mine.transport, /tls/i);

    phone.send('OPTIONS', `sip:127.0.0.1:${port}`, {user: '1001', callId: rand(), fromTag: rand(), cseq: 1});
    assert.equal((await phone.next()).status, 200);

    // A call to the echo test, signalled over TLS.
    const sdp = ['v=0', 'o=t 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
                 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
    const inv = await phone.request('INVITE', `sip:*43@127.0.0.1:${port}`, {user: '1001', password: 'demo-alice', body: sdp});
    assert.equal(inv.res.status, 200, `${inv.res.status} ${inv.res.reason}`);
    assert.match(inv.res.body, /m=audio \d+ RTP\/AVP 0/);
    phone.send('ACK', `sip:*43@127.0.0.1:${port}`, {...inv.dialog, user: '1001'});
    phone.send('BYE', `sip:*43@127.0.0.1:${port}`, {...inv.dialog, user: '1001', cseq: 3});
    assert.equal((await phone.next((m) => m.status >= 200 && /BYE/.test(m.headers.cseq[0]))).status, 200);

    // A client that does not trust the certificate is refused by TLS itself.
    await assert.rejects(TlsPhone.open(port, undefined), /self.signed|certificate/i);
});

test('the certificate is made once and kept across restarts', async (t) => {
    const dir = makeTempDir(t);
    const first = await startServer({dataDir: dir});
    const pem1 = readFileSync(join(dir, 'tls/sip.pem'), 'utf8');
    await first.close();
    const second = await startServer({dataDir: dir});
    t.after(() => second.close());
    assert.equal(readFileSync(join(dir, 'tls/sip.pem'), 'utf8'), pem1);
    assert.ok(!second.logs().some((l) => /made a self-signed TLS certificate/.test(l)));
});

test('a certificate that cannot be read stops the start with a clear message', async (t) => {
    const dir = makeTempDir(t);
    const missing = join(dir, 'no-such.pem');
    await assert.rejects(
        startServer({dataDir: join(dir, 'data'), configText: demoConfigText({sip: {tlsCertificate: missing}})}),
        (err) => /cannot load the TLS certificate/.test(err.message) && err.message.includes(missing) &&
            /certificate chain and its private key/.test(err.message));
    await sleep(10);
});
