// A small SIP user agent over UDP for tests: sends requests, answers
// digest challenges (401/407, MD5, qop=auth), and keeps an RTP socket, so
// that tests can place a call and check the media that comes back.
import dgram from 'node:dgram';
import {createHash, randomBytes} from 'node:crypto';

const md5 = (s) => createHash('md5').update(s).digest('hex');
const rand = () => randomBytes(6).toString('hex');

/* Parse a SIP message: {status, reason, method, headers: {lowercase: [values]}, body}. */
export function parseSip(text) {
    const [head, ...rest] = text.split('\r\n\r\n');
    const lines = head.split('\r\n');
    const first = lines.shift();
    const msg = {headers: {}, body: rest.join('\r\n\r\n')};
    const m = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(first);
    if (m) {
        msg.status = Number(m[1]);
        msg.reason = m[2];
    } else {
        msg.method = first.split(' ')[0];
    }
    for (const l of lines) {
        const i = l.indexOf(':');
        const k = l.slice(0, i).trim().toLowerCase();
        (msg.headers[k] ||= []).push(l.slice(i + 1).trim());
    }
    return msg;
}

export function digestHeader(chall, {user, password, method, uri}) {
    const param = (k) => new RegExp(`${k}="?([^",]+)"?`).exec(chall)?.[1];
    const realm = param('realm');
    const nonce = param('nonce');
    const qop = param('qop');
    const ha1 = md5(`${user}:${realm}:${password}`);
    const ha2 = md5(`${method}:${uri}`);
    const cnonce = rand();
    const nc = '00000001';
    const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
    return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", ` +
        `response="${response}", algorithm=MD5` + (qop ? `, qop=auth, nc=${nc}, cnonce="${cnonce}"` : '');
}

export class SipUA {
    static async open({host = '127.0.0.1', port, user, password}) {
        const ua = new SipUA();
        ua.server = {host, port};
        ua.user = user;
        ua.password = password;
        ua.sock = dgram.createSocket('udp4');
        ua.rtp = dgram.createSocket('udp4');
        ua.inbox = [];
        ua.waiters = [];
        ua.rtpIn = [];
        ua.sock.on('message', (buf) => {
            const msg = parseSip(buf.toString('latin1'));
            // a request the UA handles by itself (see autoAnswer) is not queued
            if (msg.method && ua.handler && ua.handler(msg)) return;
            ua.inbox.push(msg);
            for (const w of ua.waiters.slice()) w();
        });
        ua.rtp.on('message', (buf) => ua.rtpIn.push(buf));
        await new Promise((r) => ua.sock.bind(0, '127.0.0.1', r));
        await new Promise((r) => ua.rtp.bind(0, '127.0.0.1', r));
        ua.port = ua.sock.address().port;
        ua.rtpPort = ua.rtp.address().port;
        return ua;
    }

    close() {
        this.sock.close();
        this.rtp.close();
    }

    send(text) {
        this.sock.send(Buffer.from(text, 'latin1'), this.server.port, this.server.host);
    }

    /* The next message matching pred (responses by default). */
    next(pred = (m) => m.status !== undefined, timeoutMs = 5000) {
        return new Promise((resolve, reject) => {
            const check = () => {
                const i = this.inbox.findIndex(pred);
                if (i < 0) return;
                const [m] = this.inbox.splice(i, 1);
                done();
                resolve(m);
            };
            const timer = setTimeout(() => {
                done();
                reject(new Error(`no SIP answer within ${timeoutMs} ms`));
            }, timeoutMs);
            const done = () => {
                clearTimeout(timer);
                this.waiters = this.waiters.filter((w) => w !== check);
            };
            this.waiters.push(check);
            check();
        });
    }

    request(method, uri, {callId, cseq, toTag, fromTag, extra = '', body = '', ctype} = {}) {
        const branch = `z9hG4bK${rand()}`;
        const lines = [
            `${method} ${uri} SIP/2.0`,
            `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${branch};rport`,
            `From: <sip:${this.user}@127.0.0.1>;tag=${fromTag}`,
            `To: <${uri}>${toTag ? `;tag=${toTag}` : ''}`,
            `Call-ID: ${callId}`,
            `CSeq: ${cseq} ${method}`,
            `Contact: <sip:${this.user}@127.0.0.1:${this.port}>`,
            'Max-Forwards: 70',
        ];
        if (extra) lines.push(...extra.split('\r\n').filter(Boolean));
        if (ctype) lines.push(`Content-Type: ${ctype}`);
        lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`, '', body);
        this.send(lines.join('\r\n'));
        return branch;
    }

    offer(codecs = [0, 8, 101]) {
        return ['v=0', `o=test 1 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
                `m=audio ${this.rtpPort} RTP/AVP ${codecs.join(' ')}`,
                'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
                'a=fmtp:101 0-15', 'a=sendrecv', ''].join('\r\n');
    }

    /* INVITE uri, answering one challenge; resolves with the final answer and the dialog. */
    async invite(uri, {sdp = this.offer()} = {}) {
        const call = {callId: `${rand()}@127.0.0.1`, fromTag: rand(), cseq: 1, uri};
        this.request('INVITE', uri, {...call, body: sdp, ctype: 'application/sdp'});
        let res = await this.next((m) => m.status >= 200);
        if (res.status === 401 || res.status === 407) {
            this.ackFor(call, res);
            const name = res.status === 407 ? 'proxy-authenticate' : 'www-authenticate';
            const auth = digestHeader(res.headers[name][0], {user: this.user, password: this.password, method: 'INVITE', uri});
            call.cseq = 2;
            this.request('INVITE', uri, {...call, body: sdp, ctype: 'application/sdp',
                                         extra: `${res.status === 407 ? 'Proxy-Authorization' : 'Authorization'}: ${auth}`});
            res = await this.next((m) => m.status >= 200);
        }
        call.toTag = /tag=([^;>\s]+)/.exec(res.headers.to[0])?.[1];
        if (res.status >= 300) this.ackFor(call, res);
        return {res, call};
    }

    ackFor(call, res) {
        const toTag = /tag=([^;>\s]+)/.exec(res.headers.to[0])?.[1];
        this.request('ACK', call.uri, {...call, toTag});
    }

    ack(call) {
        this.request('ACK', call.uri, {...call});
    }

    /* A digit by SIP INFO (application/dtmf-relay); resolves with the answer. */
    async info(call, digit) {
        call.cseq += 1;
        this.request('INFO', call.uri, {...call, body: `Signal=${digit}\r\nDuration=160\r\n`,
                                        ctype: 'application/dtmf-relay'});
        return this.next((m) => m.status >= 200 && m.headers.cseq?.[0]?.endsWith('INFO'));
    }

    /* Answer a request the server sends (an INVITE, its BYE): status, a
     * To tag for dialog-creating answers, an SDP body. */
    answer(req, status = 200, reason = 'OK', {toTag, body = '', extra = ''} = {}) {
        const keep = ['via', 'from', 'to', 'call-id', 'cseq'];
        const lines = [`SIP/2.0 ${status} ${reason}`];
        for (const k of keep) {
            for (let v of req.headers[k] || []) {
                if (k === 'to' && toTag && !/;tag=/.test(v)) v += `;tag=${toTag}`;
                lines.push(`${k.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase())}: ${v}`);
            }
        }
        if (extra) lines.push(...extra.split('\r\n').filter(Boolean));
        if (body) lines.push(`Contact: <sip:${this.user}@127.0.0.1:${this.port}>`, 'Content-Type: application/sdp');
        lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`, '', body);
        this.send(lines.join('\r\n'));
    }

    /* A phone that answers by itself: INVITEs (new calls and re-INVITEs)
     * with 200 and its SDP, BYE and NOTIFY with 200. The requests are kept
     * in this.seen; this.remote is where the last SDP received sends RTP. */
    autoAnswer() {
        this.seen = [];
        this.handler = (m) => {
            if (!['INVITE', 'BYE', 'NOTIFY'].includes(m.method)) return false;
            this.seen.push(m);
            if (m.method === 'INVITE') {
                if (m.body) this.remote = sdpMedia(m.body);
                this.answer(m, 200, 'OK', {toTag: `t-${this.user}`, body: this.offer([0, 101])});
            } else {
                this.answer(m);
            }
            return true;
        };
    }

    /* REGISTER this UA's contact (answering the digest challenge). */
    async register(expires = 300) {
        const uri = `sip:127.0.0.1:${this.server.port}`;
        const call = {callId: `${rand()}@127.0.0.1`, fromTag: rand(), cseq: 1, uri};
        const to = `sip:${this.user}@127.0.0.1`;
        const send = (extra) => {
            const branch = `z9hG4bK${rand()}`;
            this.send([`REGISTER ${uri} SIP/2.0`,
                       `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${branch};rport`,
                       `From: <${to}>;tag=${call.fromTag}`, `To: <${to}>`, `Call-ID: ${call.callId}`,
                       `CSeq: ${call.cseq} REGISTER`, `Contact: <sip:${this.user}@127.0.0.1:${this.port}>`,
                       `Expires: ${expires}`, 'Max-Forwards: 70', ...(extra ? [extra] : []),
                       'Content-Length: 0', '', ''].join('\r\n'));
        };
        send();
        let res = await this.next((m) => m.status >= 200);
        if (res.status === 401) {
            call.cseq = 2;
            send(`Authorization: ${digestHeader(res.headers['www-authenticate'][0], {user: this.user, password: this.password, method: 'REGISTER', uri})}`);
            res = await this.next((m) => m.status >= 200);
        }
        return res;
    }

    /* SUBSCRIBE to an event package at uri (answering a 401 challenge);
     * resolves with the final answer and the dialog. */
    async subscribe(uri, event, {expires = 600} = {}) {
        const call = {callId: `${rand()}@127.0.0.1`, fromTag: rand(), cseq: 1, uri};
        const extra = `Event: ${event}\r\nExpires: ${expires}`;
        const answer = (m) => m.status >= 200 && m.headers.cseq?.[0]?.endsWith('SUBSCRIBE');
        this.request('SUBSCRIBE', uri, {...call, extra});
        let res = await this.next(answer);
        if (res.status === 401) {
            call.cseq = 2;
            const auth = digestHeader(res.headers['www-authenticate'][0], {user: this.user, password: this.password, method: 'SUBSCRIBE', uri});
            this.request('SUBSCRIBE', uri, {...call, extra: `${extra}\r\nAuthorization: ${auth}`});
            res = await this.next(answer);
        }
        call.toTag = /tag=([^;>\s]+)/.exec(res.headers.to[0])?.[1];
        return {res, call};
    }

    async bye(call) {
        call.cseq += 1;
        this.request('BYE', call.uri, {...call});
        return this.next((m) => m.status >= 200 && m.headers.cseq?.[0]?.endsWith('BYE'));
    }
}

/* The audio port and address of an SDP body. */
export function sdpMedia(sdp) {
    const port = Number(/^m=audio (\d+)/m.exec(sdp)?.[1]);
    const ip = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1];
    const pts = /^m=audio \d+ RTP\/AVP ([\d ]+)/m.exec(sdp)?.[1].split(' ').map(Number);
    return {ip, port, pts};
}

/* An RTP packet: version 2, payload type pt, 160 bytes of payload. */
export function rtpPacket(seq, ts, ssrc, pt, payload) {
    const b = Buffer.alloc(12 + payload.length);
    b[0] = 0x80;
    b[1] = pt;
    b.writeUInt16BE(seq & 0xffff, 2);
    b.writeUInt32BE(ts >>> 0, 4);
    b.writeUInt32BE(ssrc >>> 0, 8);
    payload.copy(b, 12);
    return b;
}

/* RFC 4733 telephone-event packets for one digit: three updates, then the
 * end three times (as phones send it). */
export function dtmfPackets(digit, seq, ts, ssrc, pt = 101) {
    const ev = '0123456789*#ABCD'.indexOf(digit);
    const out = [];
    const durations = [160, 320, 480, 640, 640, 640];
    durations.forEach((d, i) => {
        const end = i >= 3;
        const p = Buffer.alloc(4);
        p[0] = ev;
        p[1] = (end ? 0x80 : 0) | 10;
        p.writeUInt16BE(d, 2);
        const pkt = rtpPacket(seq + i, ts, ssrc, pt, p);
        if (i === 0) pkt[1] |= 0x80; // marker on the first packet of an event
        out.push(pkt);
    });
    return out;
}
