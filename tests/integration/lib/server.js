// Test harness of the integration suite: starts the real `switchboard serve`
// on a free port with a fresh data folder, reads its address from the
// banner, keeps its structured log lines, and stops it again.
//
//   const srv = await useServer(t, {});            // stopped + cleaned up after t
//   const token = await login(srv.url, 'admin', 'demo-admin');
//   const r = await api(srv.url, 'GET', '/v1/users', {token});
//
// SB_BIN names the binary (an ASan+UBSan build works too: timeouts are
// generous). Only 127.0.0.1 is used.
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, dirname, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '../../..');
export const SB_BIN = process.env.SB_BIN || join(REPO, 'build/switchboard');
export const DEMO_YAML = join(REPO, 'examples/demo.yaml');
export const DEMO_API_KEY = 'sbk_demo_harbor_cycles_integration_key_0001';
export const DEMO_PASSWORDS = {
    admin: 'demo-admin',
    maria: 'demo-maria',
    alice: 'demo-alice',
    bob: 'demo-bob',
    carol: 'demo-carol',
    dave: 'demo-dave',
    erin: 'demo-erin',
};

/* Sanitizer builds are several times slower: every wait is generous. */
export const START_TIMEOUT_MS = Number(process.env.SB_START_TIMEOUT_MS || 20000);
export const STOP_TIMEOUT_MS = Number(process.env.SB_STOP_TIMEOUT_MS || 15000);

if (!existsSync(SB_BIN))
    throw new Error(`SB_BIN ${SB_BIN} does not exist; build it with ninja -C build`);

/* Every child still running when the test process ends gets SIGKILL, so a
 * failing test never leaves a server behind. */
const live = new Set();
process.on('exit', () => {
    for (const p of live) {
        try {
            p.kill('SIGKILL');
        } catch {
            /* already gone */
        }
    }
});

/* A temporary folder removed after the test (or at the latest at exit). */
const tempDirs = new Set();
process.on('exit', () => {
    for (const d of tempDirs) rmSync(d, {recursive: true, force: true});
});

export function makeTempDir(t, prefix = 'sb-it-') {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    tempDirs.add(dir);
    if (t) {
        t.after(async () => {
            // servers still using the folder stop first, whatever the hook order
            for (const srv of servers) {
                if (srv.dataDir === dir || srv.dataDir.startsWith(`${dir}/`)) await srv.close();
            }
            removeDir(dir);
        });
    }
    return dir;
}

/* Every server started, for makeTempDir's clean-up. */
const servers = new Set();

export function removeDir(dir) {
    rmSync(dir, {recursive: true, force: true});
    tempDirs.delete(dir);
}

/* One structured log line: `TIME level=info component=http msg="..." k=v`. */
export function parseLogLine(line) {
    const out = {raw: line};
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) return out;
    out.time = m[1];
    const re = /([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)/g;
    let kv;
    while ((kv = re.exec(m[2])) !== null) {
        let v = kv[2];
        if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
        out[kv[1]] = v;
    }
    return out;
}

/* The server section of the demo replaced by demo's own plus overrides
 * (deep merge), the rest of examples/demo.yaml kept verbatim. JSON is YAML,
 * so the server section is written as one flow mapping. */
export function demoConfigText(serverOverrides = {}) {
    const text = readFileSync(DEMO_YAML, 'utf8');
    const lines = text.split('\n');
    const out = [];
    let inServer = false;
    for (const line of lines) {
        if (/^server:/.test(line)) {
            inServer = true;
            continue;
        }
        if (inServer && /^[^\s#]/.test(line)) inServer = false;
        if (!inServer) out.push(line);
    }
    const base = {
        demo: true,
        organisation: {name: 'Harbor Cycles', timezone: 'Europe/London'},
        http: {listen: '127.0.0.1:8080'},
        sessions: {ttlSeconds: 43200},
    };
    const merged = deepMerge(base, serverOverrides);
    return `server: ${JSON.stringify(merged)}\n` + out.join('\n');
}

function deepMerge(a, b) {
    const out = {...a};
    for (const [k, v] of Object.entries(b)) {
        if (v && typeof v === 'object' && !Array.isArray(v) && a[k] && typeof a[k] === 'object')
            out[k] = deepMerge(a[k], v);
        else out[k] = v;
    }
    return out;
}

/* The banner's `  SIP:      sip:127.0.0.1:5060 (UDP and TCP), realm "switchboard"`
 * as {host, port, realm}; undefined without such a line. */
export function parseSipBanner(text) {
    const m = /^\s+SIP:\s+sips?:(\[[^\]]+\]|[^\s:;]+):(\d+)[^\n]*$/m.exec(text);
    if (!m) return undefined;
    const realm = /realm "([^"]*)"/.exec(m[0]);
    return {host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]), realm: realm ? realm[1] : undefined};
}

/*
 * Start `switchboard serve`. Options:
 *   config      path of a YAML file for --config
 *   configText  YAML text, written to a temporary file for --config
 *   dataDir     data folder (default: a fresh temporary one, removed by close())
 *   args        more command-line arguments
 *   env         more environment variables
 *   waitHealthy false: return as soon as the banner is out, without
 *               waiting for GET /healthz to answer
 * Without config/configText an empty data folder gets the embedded demo.
 */
export async function startServer(opts = {}) {
    const owned = [];
    let dataDir = opts.dataDir;
    if (!dataDir) {
        dataDir = makeTempDir(null, 'sb-data-');
        owned.push(dataDir);
    }
    let config = opts.config;
    if (opts.configText !== undefined) {
        const dir = makeTempDir(null, 'sb-conf-');
        owned.push(dir);
        config = join(dir, 'config.yaml');
        writeFileSync(config, opts.configText);
    }
    // Free ports for HTTP and SIP, so tests run side by side.
    const argv = ['serve', '--http', '127.0.0.1:0', '--sip', '127.0.0.1:0', '--data', dataDir,
                  '--log-level', 'info'];
    if (config) argv.push('--config', config);
    if (opts.args) argv.push(...opts.args);

    const proc = spawn(SB_BIN, argv, {
        env: {...process.env, ...(opts.env || {})},
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(proc);
    const logLines = [];
    let stdout = '';
    let errPartial = '';
    const logWaiters = new Set();
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk) => {
        errPartial += chunk;
        let nl;
        while ((nl = errPartial.indexOf('\n')) >= 0) {
            const line = errPartial.slice(0, nl);
            errPartial = errPartial.slice(nl + 1);
            logLines.push(line);
            for (const w of logWaiters) w();
        }
    });
    proc.stderr.on('end', () => {
        if (errPartial) logLines.push(errPartial);
        errPartial = '';
    });
    proc.stdout.setEncoding('utf8');

    let exitInfo = null;
    let stopRequested = false;
    let closed = false;
    const exited = new Promise((resolveExit) => {
        proc.on('exit', (code, signal) => {
            exitInfo = {code, signal, at: Date.now()};
            live.delete(proc);
            resolveExit(exitInfo);
        });
    });

    const url = await new Promise((resolveUrl, reject) => {
        const timer = setTimeout(() => {
            proc.kill('SIGKILL');
            reject(new Error(`server did not print its address within ${START_TIMEOUT_MS} ms\n` +
                             `stdout:\n${stdout}\nstderr:\n${logLines.join('\n')}`));
        }, START_TIMEOUT_MS);
        proc.stdout.on('data', (chunk) => {
            stdout += chunk;
            const m = /^\s+Web:\s+(http:\/\/127\.0\.0\.1:\d+)\/\s*$/m.exec(stdout);
            if (m) {
                clearTimeout(timer);
                resolveUrl(m[1]);
            }
        });
        exited.then((info) => {
            clearTimeout(timer);
            // give stderr a moment to be read to the end
            setTimeout(() => reject(new Error(
                `server exited (code ${info.code}, signal ${info.signal}) before listening\n` +
                `stdout:\n${stdout}\nstderr:\n${logLines.join('\n')}${errPartial}`)), 50);
        });
    }).catch((e) => {
        for (const d of owned) removeDir(d);
        throw e;
    });

    /* The banner is printed just before the event loop starts; a request
     * answered proves the loop runs (and its signal handlers are set). */
    if (opts.waitHealthy !== false) {
        const deadline = Date.now() + START_TIMEOUT_MS;
        for (;;) {
            try {
                const r = await fetch(`${url}/healthz`, {signal: AbortSignal.timeout(5000)});
                await r.arrayBuffer();
                if (r.status === 200) break;
            } catch {
                /* not yet */
            }
            if (exitInfo || Date.now() > deadline) {
                proc.kill('SIGKILL');
                for (const d of owned) removeDir(d);
                throw new Error(`server at ${url} never answered /healthz\nstderr:\n${logLines.join('\n')}`);
            }
            await new Promise((r) => setTimeout(r, 20));
        }
    }

    const server = {
        url,
        host: url.replace('http://', ''),
        port: Number(url.split(':').pop()),
        dataDir,
        config,
        proc,
        exited,
        stdout: () => stdout,
        /* The SIP listener from the banner, {host, port, realm}; undefined
         * when the binary prints no SIP line. */
        get sip() {
            return parseSipBanner(stdout);
        },
        logs: () => logLines.slice(),
        parsedLogs: () => logLines.map(parseLogLine),
        get running() {
            return exitInfo === null;
        },
        /* Wait for a log line matching pred (a RegExp or a function). */
        waitForLog(pred, timeoutMs = 10000) {
            const test = typeof pred === 'function' ? pred : (l) => pred.test(l);
            const found = logLines.find(test);
            if (found) return Promise.resolve(found);
            return new Promise((res, rej) => {
                const check = () => {
                    const f = logLines.find(test);
                    if (f) {
                        done();
                        res(f);
                    }
                };
                const timer = setTimeout(() => {
                    done();
                    rej(new Error(`no log line matching ${pred} within ${timeoutMs} ms`));
                }, timeoutMs);
                const done = () => {
                    clearTimeout(timer);
                    logWaiters.delete(check);
                };
                logWaiters.add(check);
            });
        },
        /* SIGTERM (or another signal) and wait: {code, signal, ms}. */
        async stop(sig = 'SIGTERM') {
            stopRequested = true;
            if (exitInfo) return {code: exitInfo.code, signal: exitInfo.signal, ms: 0};
            const t0 = Date.now();
            proc.kill(sig);
            let timer;
            const timeout = new Promise((_, rej) => {
                timer = setTimeout(() => rej(new Error(`server did not stop within ${STOP_TIMEOUT_MS} ms after ${sig}`)),
                                   STOP_TIMEOUT_MS);
            });
            try {
                const info = await Promise.race([exited, timeout]);
                return {code: info.code, signal: info.signal, ms: info.at - t0};
            } catch (e) {
                proc.kill('SIGKILL');
                await exited;
                throw e;
            } finally {
                clearTimeout(timer);
            }
        },
        /* SIGKILL and wait for the exit. */
        async kill() {
            stopRequested = true;
            if (!exitInfo) proc.kill('SIGKILL');
            return exited;
        },
        /* Stop (SIGKILL if SIGTERM fails) and remove what the harness
         * created. Throws (failing the test's after hook) when the server
         * had died on its own, did not stop cleanly, or a sanitizer
         * reported something. */
        async close() {
            if (closed) return;
            closed = true;
            servers.delete(server);
            const problems = [];
            if (exitInfo && !stopRequested)
                problems.push(`the server exited on its own (code ${exitInfo.code}, signal ${exitInfo.signal})`);
            if (!exitInfo) {
                try {
                    const r = await server.stop();
                    if (r.code !== 0) problems.push(`SIGTERM: exit code ${r.code}, signal ${r.signal}`);
                } catch (e) {
                    problems.push(e.message);
                    await server.kill();
                }
            }
            for (const d of owned) removeDir(d);
            const reports = logLines.filter((l) => SANITIZER_RE.test(l));
            if (reports.length) problems.push(`sanitizer reports:\n${reports.join('\n')}`);
            if (problems.length)
                throw new Error(`server ${url}: ${problems.join('; ')}\n--- last log lines:\n${logLines.slice(-30).join('\n')}`);
        },
    };
    servers.add(server);
    return server;
}

/* startServer(), and stop + clean up after the test t, even on failure. */
export async function useServer(t, opts = {}) {
    const server = await startServer(opts);
    t.after(() => server.close());
    return server;
}

/* Run the binary to completion: {code, signal, stdout, stderr}. */
export function runCli(args, opts = {}) {
    const r = spawnSync(SB_BIN, args, {
        encoding: 'utf8',
        timeout: opts.timeout || 60000,
        env: {...process.env, ...(opts.env || {})},
        input: opts.input,
    });
    if (r.error) throw r.error;
    if (SANITIZER_RE.test(r.stderr))
        throw new Error(`switchboard ${args.join(' ')}: sanitizer report:\n${r.stderr}`);
    return {code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr};
}

/*
 * One API request. body: an object (sent as JSON) or a string/Buffer sent
 * as is (with Content-Type application/json unless headers give another).
 * Returns {status, headers, json, text}; json is null when the body is not
 * JSON.
 */
export async function api(url, method, path, {token, apiKey, body, headers = {}, timeoutMs = 30000} = {}) {
    const h = {...headers};
    if (token) h.Authorization = `Bearer ${token}`;
    if (apiKey) h['X-API-Key'] = apiKey;
    let payload;
    if (body !== undefined) {
        payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
        if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type'))
            h['Content-Type'] = 'application/json';
    }
    const res = await fetch(url + path, {method, headers: h, body: payload,
                                         signal: AbortSignal.timeout(timeoutMs)});
    const text = await res.text();
    let json = null;
    try {
        json = text ? JSON.parse(text) : null;
    } catch {
        json = null;
    }
    return {status: res.status, headers: res.headers, json, text};
}

/* Sign in; returns the session token (throws unless 201). */
export async function login(url, name, password = DEMO_PASSWORDS[name]) {
    const r = await api(url, 'POST', '/v1/sessions', {body: {name, password}});
    if (r.status !== 201)
        throw new Error(`login ${name} failed: ${r.status} ${r.text}`);
    return r.json.token;
}

/* Find a user by name through the API (admin key). */
export async function userByName(url, name, auth = {apiKey: DEMO_API_KEY}) {
    let cursor = '';
    for (;;) {
        const r = await api(url, 'GET', `/v1/users?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, auth);
        if (r.status !== 200) throw new Error(`GET /v1/users: ${r.status} ${r.text}`);
        const u = r.json.items.find((x) => x.name === name);
        if (u) return u;
        if (!r.json.nextCursor) return null;
        cursor = r.json.nextCursor;
    }
}

/* Assert the error shape every API error has; returns the error object. */
export function errorBody(r, status, code) {
    if (r.status !== status)
        throw new Error(`expected status ${status}, got ${r.status}: ${r.text}`);
    const e = r.json && r.json.error;
    if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' ||
        typeof e.requestId !== 'string')
        throw new Error(`not an error body {"error":{code,message,requestId}}: ${r.text}`);
    if (code && e.code !== code)
        throw new Error(`expected error code ${code}, got ${e.code}: ${r.text}`);
    if (r.headers.get('x-request-id') !== e.requestId)
        throw new Error(`X-Request-Id ${r.headers.get('x-request-id')} != requestId ${e.requestId}`);
    return e;
}

/* Lines that AddressSanitizer, LeakSanitizer or UBSan print. */
export const SANITIZER_RE = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)/;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
