// A WebSocket client for /v1/events that queues what the server sends, so
// that tests can await the next message matching a predicate.
import WebSocket from 'ws';

export class EventStream {
    /* Use EventStream.open(). */
    constructor(ws) {
        this.ws = ws;
        this.messages = []; // every message received, in order
        this.queue = []; // not yet taken by next()
        this.waiters = [];
        this.closed = null; // {code, reason} once closed
        ws.on('message', (data, isBinary) => {
            let msg;
            try {
                msg = JSON.parse(isBinary ? data : data.toString('utf8'));
            } catch {
                msg = {type: '(unparsable)', raw: data.toString()};
            }
            this.messages.push(msg);
            this.queue.push(msg);
            this.#wake();
        });
        ws.on('close', (code, reason) => {
            this.closed = {code, reason: reason.toString()};
            this.#wake();
        });
        ws.on('error', () => {}); // reported through close
    }

    /*
     * Connect to ws://HOST/v1/events. auth: {token} as ?access_token=,
     * {bearer} as an Authorization header, {apiKey} as X-API-Key; query: more
     * URL parameters; path: another WebSocket endpoint (/v1/chat/stream).
     * Resolves with the stream once open; rejects with err.status set when
     * the upgrade is refused with an HTTP answer.
     */
    static open(url, {token, bearer, apiKey, query = {}, timeoutMs = 10000, path = '/v1/events'} = {}) {
        const params = new URLSearchParams(query);
        if (token) params.set('access_token', token);
        const qs = params.toString();
        const wsUrl = `${url.replace(/^http/, 'ws')}${path}${qs ? `?${qs}` : ''}`;
        const headers = {};
        if (bearer) headers.Authorization = `Bearer ${bearer}`;
        if (apiKey) headers['X-API-Key'] = apiKey;
        const ws = new WebSocket(wsUrl, {headers, handshakeTimeout: timeoutMs,
                                         perMessageDeflate: false});
        const stream = new EventStream(ws);
        return new Promise((resolve, reject) => {
            ws.once('open', () => resolve(stream));
            ws.once('unexpected-response', (req, res) => {
                let body = '';
                res.setEncoding('utf8');
                res.on('data', (c) => (body += c));
                res.on('end', () => {
                    const err = new Error(`upgrade refused: HTTP ${res.statusCode} ${body}`);
                    err.status = res.statusCode;
                    err.headers = res.headers;
                    err.body = body;
                    try {
                        err.json = JSON.parse(body);
                    } catch {
                        err.json = null;
                    }
                    req.destroy();
                    reject(err);
                });
            });
            ws.once('error', reject);
        });
    }

    #wake() {
        for (const w of this.waiters.slice()) w();
    }

    send(obj) {
        this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
    }

    /* The next queued message matching pred (default: any); messages before
     * it that do not match stay queued unless skip is true. */
    next(pred = () => true, {timeoutMs = 10000, skip = false} = {}) {
        return new Promise((resolve, reject) => {
            const check = () => {
                const i = this.queue.findIndex(pred);
                if (i >= 0) {
                    const [m] = this.queue.splice(i, 1);
                    if (skip) this.queue.splice(0, i);
                    done();
                    resolve(m);
                    return;
                }
                if (this.closed) {
                    done();
                    reject(new Error(`stream closed (${this.closed.code} ${this.closed.reason}) ` +
                                     `while waiting; queued: ${JSON.stringify(this.queue)}`));
                }
            };
            const timer = setTimeout(() => {
                done();
                reject(new Error(`no matching message within ${timeoutMs} ms; queued: ` +
                                 JSON.stringify(this.queue)));
            }, timeoutMs);
            const done = () => {
                clearTimeout(timer);
                this.waiters = this.waiters.filter((w) => w !== check);
            };
            this.waiters.push(check);
            check();
        });
    }

    nextOfType(type, opts) {
        return this.next((m) => m.type === type, opts);
    }

    /* Subscribe and wait for the "subscribed" answer (or an error). */
    async subscribe(topics, after) {
        const msg = {type: 'subscribe', topics};
        if (after !== undefined) msg.after = after;
        this.send(msg);
        return this.next((m) => m.type === 'subscribed' || m.type === 'error');
    }

    /* Send a ping and return every message queued before the pong: the
     * server answers in order, so this is everything it had sent. */
    async drain(timeoutMs = 10000) {
        this.send({type: 'ping'});
        const before = [];
        for (;;) {
            const m = await this.next(() => true, {timeoutMs});
            if (m.type === 'pong') return before;
            before.push(m);
        }
    }

    close() {
        if (this.closed) return Promise.resolve(this.closed);
        return new Promise((resolve) => {
            this.ws.once('close', (code, reason) => resolve({code, reason: reason.toString()}));
            this.ws.close(1000);
            setTimeout(() => this.ws.terminate(), 3000).unref();
        });
    }
}

/* Every stored event visible to auth, replayed from after=0. */
export async function replayAll(url, auth, topics) {
    const s = await EventStream.open(url, auth);
    try {
        const sub = await s.subscribe(topics, 0);
        if (sub.type !== 'subscribed') throw new Error(`subscribe failed: ${JSON.stringify(sub)}`);
        const msgs = await s.drain();
        return {lastSeq: sub.lastSeq, events: msgs.filter((m) => m.type === 'event').map((m) => m.event)};
    } finally {
        await s.close();
    }
}
