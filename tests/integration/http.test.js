// HTTP behaviour shared by every route: bodies, content types, sizes,
// errors and request ids, unknown routes and methods, path traversal and
// the static web pages.
import {test, describe, before, after} from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {mkdirSync, writeFileSync, symlinkSync, utimesSync} from 'node:fs';
import {join} from 'node:path';
import {
    startServer, makeTempDir, removeDir, api, errorBody, demoConfigText, DEMO_API_KEY,
} from './lib/server.js';

/* Send raw bytes on a fresh connection; resolve with everything the server
 * sent until it closed (or until timeoutMs). */
function rawRequest(url, data, {timeoutMs = 5000, pieces = 0, gapMs = 0} = {}) {
    const {hostname, port} = new URL(url);
    return new Promise((resolve, reject) => {
        const sock = net.connect({host: hostname, port: Number(port)});
        const chunks = [];
        const timer = setTimeout(() => {
            sock.destroy();
            resolve(Buffer.concat(chunks).toString('latin1'));
        }, timeoutMs);
        sock.on('connect', async () => {
            if (!pieces) return sock.write(data);
            for (let i = 0; i < data.length && !sock.destroyed; i += pieces) {
                sock.write(data.slice(i, i + pieces));
                await new Promise((r) => setTimeout(r, gapMs));
            }
        });
        sock.on('data', (c) => chunks.push(c));
        sock.on('error', (e) => {
            clearTimeout(timer);
            if (chunks.length) resolve(Buffer.concat(chunks).toString('latin1'));
            else reject(e);
        });
        sock.on('close', () => {
            clearTimeout(timer);
            resolve(Buffer.concat(chunks).toString('latin1'));
        });
    });
}

function parseRaw(text) {
    const sep = text.indexOf('\r\n\r\n');
    const head = sep >= 0 ? text.slice(0, sep) : text;
    const body = sep >= 0 ? text.slice(sep + 4) : '';
    const [statusLine, ...lines] = head.split('\r\n');
    const status = Number((/^HTTP\/1\.[01] (\d{3})/.exec(statusLine) || [])[1]);
    const headers = {};
    for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    return {status, headers, body};
}

describe('API requests', () => {
    let srv;
    before(async () => {
        srv = await startServer({configText: demoConfigText({http: {maxBodyBytes: 2048}})});
    });
    after(() => srv && srv.close());

    test('bad JSON: 400 invalid_json', async () => {
        for (const body of ['{"name": "admin", ', '{"a":1}{', 'nope', '{"name":"a","name":"b","password":"xxxxxxxx"}']) {
            const r = await api(srv.url, 'POST', '/v1/sessions', {body});
            const e = errorBody(r, 400, 'invalid_json');
            assert.ok(e.message.length > 0);
        }
        // JSON, but not an object
        const r = await api(srv.url, 'POST', '/v1/sessions', {body: '[1,2]'});
        errorBody(r, 400, 'invalid_json');
    });

    test('a body that is not JSON by Content-Type: 415', async () => {
        for (const ctype of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
            const r = await api(srv.url, 'POST', '/v1/sessions', {
                body: '{"name":"admin","password":"demo-admin"}', headers: {'Content-Type': ctype},
            });
            errorBody(r, 415, 'unsupported_media_type');
        }
        // with parameters it is still JSON
        const ok = await api(srv.url, 'POST', '/v1/users', {
            apiKey: DEMO_API_KEY, body: '{"name":"ctype-ok","role":"agent"}',
            headers: {'Content-Type': 'application/json; charset=utf-8'},
        });
        assert.equal(ok.status, 201, ok.text);
    });

    test('a missing body: 400', async () => {
        const r = await api(srv.url, 'POST', '/v1/sessions', {headers: {'Content-Type': 'application/json'}});
        errorBody(r, 400, 'body_required');
        const r2 = await api(srv.url, 'POST', '/v1/users', {apiKey: DEMO_API_KEY});
        errorBody(r2, 400, 'body_required');
    });

    test('a body over http.maxBodyBytes: 413 with a JSON error', async () => {
        const big = JSON.stringify({name: 'admin', password: 'x'.repeat(4000)});
        const r = await api(srv.url, 'POST', '/v1/sessions', {body: big});
        const e = errorBody(r, 413);
        assert.equal(e.code, 'body_too_large');
        assert.match(r.headers.get('content-type'), /^application\/json/);
        // the same through a raw socket, Content-Length announced first
        const raw = parseRaw(await rawRequest(srv.url,
            `POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n\r\n${big}`));
        assert.equal(raw.status, 413);
        assert.equal(JSON.parse(raw.body).error.code, 'body_too_large');
        // just under the limit is fine (and a normal 401)
        const small = JSON.stringify({name: 'nobody-here', password: 'y'.repeat(200)});
        const ok = await api(srv.url, 'POST', '/v1/sessions', {body: small});
        errorBody(ok, 401, 'invalid_credentials');
        // the server still answers
        assert.equal((await api(srv.url, 'GET', '/healthz')).status, 200);
    });

    test('an unknown route: 404 not_found as JSON', async () => {
        for (const path of ['/v1/nope', '/v1/users/x/y', '/v1', '/v1/']) {
            const r = await api(srv.url, 'GET', path);
            const e = errorBody(r, 404, 'not_found');
            assert.match(r.headers.get('content-type'), /^application\/json/);
            assert.ok(e.message.length > 0);
        }
        const r = await api(srv.url, 'POST', '/v1/nope', {body: {}});
        errorBody(r, 404, 'not_found');
    });

    test('a wrong method: 405 with Allow', async () => {
        const cases = [
            ['PUT', '/v1/users', ['GET', 'POST']],
            ['DELETE', '/v1/version', ['GET']],
            ['POST', '/healthz', ['GET']],
            ['GET', '/v1/sessions', ['POST']],
            ['PUT', '/v1/users/usr_x', ['GET', 'PATCH', 'DELETE']],
        ];
        for (const [method, path, allow] of cases) {
            const r = await api(srv.url, method, path, {apiKey: DEMO_API_KEY, body: method === 'GET' ? undefined : {}});
            errorBody(r, 405, 'method_not_allowed');
            const got = (r.headers.get('allow') || '').split(',').map((s) => s.trim()).filter(Boolean);
            assert.deepEqual(got.sort(), [...allow].sort(), `${method} ${path}: Allow ${r.headers.get('allow')}`);
        }
    });

    test('every error has {"error":{code,message,requestId}} and X-Request-Id', async () => {
        const cases = [
            api(srv.url, 'GET', '/v1/me'),
            api(srv.url, 'GET', '/v1/me', {token: 'nope'}),
            api(srv.url, 'GET', '/v1/nope'),
            api(srv.url, 'PUT', '/v1/version'),
            api(srv.url, 'POST', '/v1/sessions', {body: '{'}),
            api(srv.url, 'POST', '/v1/sessions', {body: {name: 'x'}}),
            api(srv.url, 'GET', '/v1/users?limit=0', {apiKey: DEMO_API_KEY}),
            api(srv.url, 'GET', '/v1/users/usr_missing', {apiKey: DEMO_API_KEY}),
            api(srv.url, 'GET', '/v1/users?cursor=%zz', {apiKey: DEMO_API_KEY}),
            api(srv.url, 'GET', '/no-such-page.html'),
        ];
        const ids = new Set();
        for (const r of await Promise.all(cases)) {
            assert.ok(r.status >= 400, r.text);
            assert.deepEqual(Object.keys(r.json), ['error'], r.text);
            const e = errorBody(r, r.status);
            assert.match(e.requestId, /^[A-Za-z0-9._-]+$/);
            ids.add(e.requestId);
            assert.equal(r.headers.get('cache-control'), 'no-store');
        }
        assert.equal(ids.size, cases.length, 'request ids are unique');
        // successes carry one too
        const ok = await api(srv.url, 'GET', '/healthz');
        assert.match(ok.headers.get('x-request-id') || '', /^[A-Za-z0-9._-]+$/);
    });

    test("a client's X-Request-Id is echoed (a bad one is replaced)", async () => {
        let r = await api(srv.url, 'GET', '/v1/nope', {headers: {'X-Request-Id': 'trace-abc.123_X'}});
        assert.equal(r.headers.get('x-request-id'), 'trace-abc.123_X');
        assert.equal(r.json.error.requestId, 'trace-abc.123_X');
        r = await api(srv.url, 'GET', '/healthz', {headers: {'X-Request-Id': 'ok-1'}});
        assert.equal(r.headers.get('x-request-id'), 'ok-1');
        r = await api(srv.url, 'GET', '/v1/nope', {headers: {'X-Request-Id': 'bad id "with" spaces'}});
        assert.notEqual(r.headers.get('x-request-id'), 'bad id "with" spaces');
        errorBody(r, 404);
        // the access log records it
        await srv.waitForLog(/msg="request" rid=trace-abc\.123_X /);
    });

    test('requests the transport refuses get JSON errors too (411, 505, 400)', async () => {
        const cases = [
            ['POST /v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n2\r\n{}\r\n0\r\n\r\n', 411, 'length_required'],
            ['GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n', 505, 'version_not_supported'],
            ['GARBAGE\r\n\r\n', 400, 'bad_request'],
            ['POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}{}{}', 400, 'bad_request'],
        ];
        for (const [req, status, code] of cases) {
            const r = parseRaw(await rawRequest(srv.url, req));
            assert.equal(r.status, status, req.slice(0, 60));
            assert.match(r.headers['content-type'] || '', /^application\/json/);
            const e = JSON.parse(r.body).error;
            assert.equal(e.code, code);
            assert.equal(e.requestId, r.headers['x-request-id']);
            assert.equal(r.headers.connection, 'close');
        }
    });

    test('a header block over 16 KiB gets 431, even with a small maxBodyBytes', async () => {
        // sent in 4 KiB pieces, as a slow client or a small window would: the
        // server must answer 431 once the head passes its limit, whatever
        // http.maxBodyBytes is (2048 here)
        const head = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`;
        const r = parseRaw(await rawRequest(srv.url, head, {pieces: 4096, gapMs: 30}));
        assert.equal(r.status, 431, 'the connection was closed without an answer');
        assert.equal(JSON.parse(r.body).error.code, 'headers_too_large');
    });

    test('pipelined requests are answered in order on one connection', async () => {
        const text = await rawRequest(srv.url,
            'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' +
            'GET /v1/nope HTTP/1.1\r\nHost: x\r\n\r\n' +
            'GET /v1/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
        assert.deepEqual(statuses, [200, 404, 200]);
        assert.match(text, /"api":"v1"\}$/);
    });

    test('GET /healthz and GET /v1/version', async () => {
        let r = await api(srv.url, 'GET', '/healthz');
        assert.equal(r.status, 200);
        assert.deepEqual(r.json, {status: 'ok'});
        r = await api(srv.url, 'GET', '/v1/version');
        assert.equal(r.status, 200);
        assert.equal(r.json.name, 'switchboard');
        assert.match(r.json.version, /^\d+\.\d+\.\d+/);
        assert.equal(r.json.api, 'v1');
        assert.match(r.headers.get('content-type'), /^application\/json/);
        const head = await fetch(`${srv.url}/healthz`, {method: 'HEAD'});
        assert.equal(head.status, 200);
    });
});

describe('path traversal and static files', () => {
    let srv;
    let web;
    let outside;
    const files = {
        'index.html': ['<!doctype html><title>root</title>', /^text\/html/],
        'app.js': ['console.log("app");', /^text\/javascript/],
        'style.css': ['body { color: red; }', /^text\/css/],
        'x.svg': ['<svg xmlns="http://www.w3.org/2000/svg"/>', /^image\/svg\+xml/],
        'sub/index.html': ['<!doctype html><title>sub</title>', /^text\/html/],
        'sub/data.json': ['{"a":1}', /^application\/json/],
    };
    let dir;
    before(async () => {
        dir = makeTempDir(null, 'sb-web-');
        web = join(dir, 'web');
        outside = join(dir, 'outside');
        mkdirSync(join(web, 'sub'), {recursive: true});
        mkdirSync(outside);
        for (const [name, [content]] of Object.entries(files)) writeFileSync(join(web, name), content);
        writeFileSync(join(outside, 'secret.txt'), 'TOP-SECRET-OUTSIDE');
        writeFileSync(join(web, '.hidden'), 'hidden');
        symlinkSync(join(outside, 'secret.txt'), join(web, 'escape.txt'));
        symlinkSync(outside, join(web, 'escdir'));
        symlinkSync(join(web, 'app.js'), join(web, 'inside.js'));
        srv = await startServer({args: ['--web', web]});
    });
    after(async () => {
        if (srv) await srv.close();
        removeDir(dir);
    });

    test('traversal attempts over a raw socket all get 404, never the file', async () => {
        const paths = [
            '/../etc/passwd',
            '/%2e%2e/%2e%2e/etc/passwd',
            '/..%2fetc/passwd',
            '/static/../../etc/passwd',
            '/%2E%2E/%2E%2E/%2E%2E/etc/passwd',
            '/..%2f..%2f..%2fetc%2fpasswd',
            '/sub/../../etc/passwd',
            '/sub/%2e%2e/%2e%2e/etc/passwd',
            '/.%2e/.%2e/etc/passwd',
            '/..\\..\\etc\\passwd',
            '/%252e%252e/etc/passwd',
            '//etc/passwd',
            '/escdir/secret.txt',
            '/escape.txt',
            '/.hidden',
        ];
        for (const p of paths) {
            const text = await rawRequest(srv.url, `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
            const r = parseRaw(text);
            assert.ok(r.status === 404 || r.status === 400, `${p}: status ${r.status}\n${text}`);
            assert.equal(r.status, 404, `${p}: ${text}`);
            assert.doesNotMatch(text, /root:.*:0:0:/, `${p} leaked /etc/passwd`);
            assert.doesNotMatch(text, /TOP-SECRET-OUTSIDE|hidden$/, `${p} leaked a file`);
        }
    });

    test('files get 200 and their Content-Type; folders their index.html', async () => {
        for (const [name, [content, type]] of Object.entries(files)) {
            const r = await fetch(`${srv.url}/${name}`);
            assert.equal(r.status, 200, name);
            assert.match(r.headers.get('content-type'), type, name);
            assert.equal(await r.text(), content, name);
        }
        for (const [path, title] of [['/', 'root'], ['/sub/', 'sub'], ['/sub', 'sub']]) {
            const r = await fetch(srv.url + path);
            assert.equal(r.status, 200, path);
            assert.match(r.headers.get('content-type'), /^text\/html/);
            assert.match(await r.text(), new RegExp(`<title>${title}</title>`), path);
        }
        // a symlink that stays inside the root is served
        const r = await fetch(`${srv.url}/inside.js`);
        assert.equal(r.status, 200);
    });

    test('a symlink out of the web root: 404', async () => {
        for (const p of ['/escape.txt', '/escdir/secret.txt', '/escdir/']) {
            const r = await fetch(srv.url + p);
            assert.equal(r.status, 404, p);
            const body = await r.text();
            assert.doesNotMatch(body, /TOP-SECRET-OUTSIDE/);
            assert.equal(JSON.parse(body).error.code, 'not_found');
        }
    });

    test('ETag and If-None-Match: 304', async () => {
        const r = await fetch(`${srv.url}/app.js`);
        const etag = r.headers.get('etag');
        assert.match(etag || '', /^"[^"]+"$/);
        await r.text();
        const r2 = await fetch(`${srv.url}/app.js`, {headers: {'If-None-Match': etag}});
        assert.equal(r2.status, 304);
        assert.equal(await r2.text(), '');
        assert.equal(r2.headers.get('etag'), etag);
        const r3 = await fetch(`${srv.url}/app.js`, {headers: {'If-None-Match': '"something-else"'}});
        assert.equal(r3.status, 200);
        await r3.text();
        // a changed file gets a new ETag
        writeFileSync(join(web, 'app.js'), 'console.log("app v2, longer");');
        utimesSync(join(web, 'app.js'), new Date(), new Date(Date.now() + 5000));
        const r4 = await fetch(`${srv.url}/app.js`, {headers: {'If-None-Match': etag}});
        assert.equal(r4.status, 200);
        assert.notEqual(r4.headers.get('etag'), etag);
        assert.equal(await r4.text(), 'console.log("app v2, longer");');
        writeFileSync(join(web, 'app.js'), files['app.js'][0]);
    });

    test('HEAD of a file: the headers of the GET, no body', async () => {
        const get = await fetch(`${srv.url}/style.css`);
        const body = await get.text();
        const text = await rawRequest(srv.url, 'HEAD /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        const r = parseRaw(text);
        assert.equal(r.status, 200);
        assert.equal(r.body, '');
        assert.equal(r.headers['content-type'], get.headers.get('content-type'));
        assert.equal(r.headers.etag, get.headers.get('etag'));
        // RFC 9110 8.6: a Content-Length in a HEAD answer must be the GET's
        if (r.headers['content-length'] !== undefined)
            assert.equal(Number(r.headers['content-length']), Buffer.byteLength(body),
                         `HEAD /style.css says Content-Length ${r.headers['content-length']}, GET sends ${Buffer.byteLength(body)} bytes`);
    });

    test('a missing file: 404 JSON', async () => {
        const r = await api(srv.url, 'GET', '/missing.js');
        errorBody(r, 404, 'not_found');
    });
});
