// bench/chat.d/node_server.mjs - the baseline of bench/chat: a minimal chat
// broadcast server on Node's `ws`, speaking the shape of Switchboard's chat
// protocol (docs/chat.md) that the load generator uses:
//
//   POST /v1/chat/threads                  201 {"thread":{"id","state",...},"token":"sbc_..."}
//   GET  /v1/chat/stream?access_token=T    WebSocket
//     {"type":"subscribe","threadId"}       -> {"type":"subscribed","threadId","lastSeq","thread"}
//     {"type":"send","threadId","text","clientMessageId"}
//        -> {"type":"message","threadId","message":{id,seq,kind,sender,text,createdAt}}
//           to every subscriber of the thread (the sender too), then
//           {"type":"ack","clientMessageId","threadId","seq","messageId"} to the sender
//
// What it does not do, so it is a lower bound on the work of a real chat
// server: no storage (Switchboard commits every message to SQLite before it
// acknowledges it), no rate limits, no participants, typing or read state.
// What it does do, as a plain implementation would: JSON.parse every client
// message, check the token may use the thread and the text is a non-empty
// string, number the messages per thread, serialise each message once and
// send the same string to every subscriber.
//
// Usage: node node_server.mjs PORT [API_KEY]; prints "listening PORT" when
// ready; single process, single thread (as Switchboard's loop is).
import http from 'node:http';
import {randomBytes} from 'node:crypto';
import {WebSocketServer} from 'ws';

const port = Number(process.argv[2] || 0);
const apiKey = process.argv[3] || 'sbk_bench_chat_key_0000000000000000000001';

const threads = new Map(); // id -> {id, token, lastSeq, subs: Set<ws>, createdAt}
const consumerTokens = new Map(); // token -> thread
let nextId = 1;

function newThread(name) {
    const id = `cht_${(nextId++).toString(36).padStart(8, '0')}`;
    const token = `sbc_${randomBytes(24).toString('base64url')}`;
    const t = {id, token, name: name || 'Consumer', lastSeq: 0, subs: new Set(),
               createdAt: new Date().toISOString()};
    threads.set(id, t);
    consumerTokens.set(token, t);
    return t;
}

const threadJson = (t) => ({id: t.id, widget: 'bench', state: 'waiting', lastSeq: t.lastSeq,
                            createdAt: t.createdAt, endedAt: null});

const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/v1/chat/threads') {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
            let name;
            try {
                name = JSON.parse(body || '{}').name;
            } catch {
                res.writeHead(400, {'content-type': 'application/json'});
                res.end('{"error":{"code":"invalid_json","message":"bad body"}}');
                return;
            }
            const t = newThread(name);
            res.writeHead(201, {'content-type': 'application/json'});
            res.end(JSON.stringify({thread: threadJson(t), token: t.token}));
        });
        return;
    }
    if (req.url === '/healthz') {
        res.writeHead(200, {'content-type': 'application/json'});
        res.end('{"status":"ok"}');
        return;
    }
    res.writeHead(404, {'content-type': 'application/json'});
    res.end('{"error":{"code":"not_found","message":"not found"}}');
});

const wss = new WebSocketServer({noServer: true});

server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://x');
    const token = url.searchParams.get('access_token');
    let who = null;
    if (url.pathname === '/v1/chat/stream') {
        if (token === apiKey) who = {admin: true, thread: null};
        else if (consumerTokens.has(token)) who = {admin: false, thread: consumerTokens.get(token)};
    }
    if (!who) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, who));
});

function sendError(ws, code, message, cmid) {
    ws.send(JSON.stringify({type: 'error', error: {code, message}, clientMessageId: cmid}));
}

function onConnection(ws, who) {
    const subs = new Set();
    ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        let m;
        try {
            m = JSON.parse(data);
        } catch {
            sendError(ws, 'invalid_json', 'not JSON');
            return;
        }
        const t = threads.get(m.threadId);
        if (m.type === 'send') {
            if (!t) return sendError(ws, 'not_found', 'no such thread', m.clientMessageId);
            if (!who.admin && who.thread !== t)
                return sendError(ws, 'forbidden', 'not your thread', m.clientMessageId);
            if (typeof m.text !== 'string' || m.text.length === 0)
                return sendError(ws, 'empty_message', 'empty', m.clientMessageId);
            const seq = ++t.lastSeq;
            const messageId = `msg_${t.id.slice(4)}_${seq}`;
            const out = JSON.stringify({
                type: 'message',
                threadId: t.id,
                message: {
                    id: messageId, seq, kind: 'text',
                    sender: who.admin ? {participantId: 'bot', kind: 'bot', name: 'Bot'}
                                      : {participantId: 'consumer', kind: 'consumer', name: t.name},
                    text: m.text, createdAt: new Date().toISOString(),
                },
            });
            for (const s of t.subs) s.send(out);
            ws.send(JSON.stringify({type: 'ack', clientMessageId: m.clientMessageId,
                                    threadId: t.id, seq, messageId}));
        } else if (m.type === 'subscribe') {
            if (!t) return sendError(ws, 'not_found', 'no such thread');
            if (!who.admin && who.thread !== t) return sendError(ws, 'forbidden', 'not your thread');
            t.subs.add(ws);
            subs.add(t);
            ws.send(JSON.stringify({type: 'subscribed', threadId: t.id, lastSeq: t.lastSeq,
                                    thread: threadJson(t)}));
        } else if (m.type === 'unsubscribe') {
            if (t) {
                t.subs.delete(ws);
                subs.delete(t);
            }
        } else if (m.type === 'ping') {
            ws.send('{"type":"pong"}');
        }
    });
    ws.on('close', () => {
        for (const t of subs) t.subs.delete(ws);
    });
    ws.on('error', () => {});
}

server.listen(port, '127.0.0.1', 4096, () => {
    process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
