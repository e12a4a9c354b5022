// Configuration files: `switchboard import` reports problems as
// FILE:LINE:COL, changes nothing on any error, is idempotent, and
// `switchboard export` round-trips; `serve --config` uses the same path.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {makeTempDir, runCli, useServer, api} from './lib/server.js';
import {replayAll} from './lib/ws.js';

const KEY = 'sbk_config_test_key_0123456789abcdef0123456789';

const GOOD = `# a small but complete configuration
server:
  organisation:
    name: Config Test
  logins:
    maxFailuresPerAccount: 10
users:
  - name: root
    displayName: Root
    role: admin
    password: root-password-1
  - name: agent1
    role: agent
    extension: "3001"
apiKeys:
  - name: tests
    role: admin
    key: ${KEY}
`;

/* Files that must be refused, with the lines of the message they produce
 * (each: a regular expression the first line of stderr must match). */
const BAD = {
    'syntax.yaml': {
        text: 'users:\n  - name: a\n    role: agent: x\n',
        expect: /^FILE:3:16: mapping values are not allowed in this context$/,
    },
    'tab.yaml': {
        text: 'server:\n\torganisation: x\n',
        expect: /^FILE:2:1: found character that cannot start any token/,
    },
    'unclosed.yaml': {
        text: 'users:\n  - name: a\n    role: [agent\n',
        expect: /^FILE:\d+:\d+: did not find expected ',' or ']' \(while parsing a flow sequence that started at line 3, column 11\)$/,
    },
    'wrongtype.yaml': {
        text: 'users:\n  - name: a\n    role: agent\n  - name: b\n    role: 5\n',
        expect: /^FILE:5:11: users\[1\]\.role: expected .*, got an integer$/,
    },
    'unknownkey.yaml': {
        text: 'users:\n  - name: a\n    role: agent\n    passwd: secret-password\n',
        expect: /^FILE:4:5: users\[0\]\.passwd: unknown key "passwd"/,
    },
    'missing.yaml': {
        text: 'users:\n  - name: a\n    displayName: A\n',
        expect: /^FILE:2:5: users\[0\]: missing required key "role"$/,
    },
    'duplicate.yaml': {
        text: 'users:\n  - name: dup\n    role: agent\n  - name: dup\n    role: expert\n',
        expect: /^FILE:4:11: users\[1\]\.name: duplicate "name" value "dup"/,
    },
    'kind.yaml': {
        text: 'users:\n  - name: a\n    role: agent\nwidgets:\n  - name: w\n',
        expect: /^FILE:4:1: widgets: unknown key "widgets"; expected one of .*users/,
    },
};

function importFile(file, dataDir) {
    return runCli(['import', file, '--data', dataDir]);
}

function exportText(dataDir) {
    const r = runCli(['export', '--data', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
}

function writeIn(dir, name, text) {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
}

test('a good file imports, and each bad file is refused with FILE:LINE:COL and changes nothing', (t) => {
    const dir = makeTempDir(t);
    const data = join(dir, 'data');
    const good = writeIn(dir, 'good.yaml', GOOD);
    let r = importFile(good, data);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported .*good\.yaml/);
    const before = exportText(data);
    assert.match(before, /name: root/);
    assert.match(before, /name: agent1/);
    assert.match(before, /Config Test/);

    for (const [name, {text, expect}] of Object.entries(BAD)) {
        const file = writeIn(dir, name, text);
        r = importFile(file, data);
        assert.notEqual(r.code, 0, `${name} must be refused`);
        const first = r.stderr.split('\n')[0];
        const re = new RegExp(expect.source.replace('FILE', file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
        assert.match(first, re, `${name}: ${r.stderr}`);
        assert.match(r.stderr, /was not imported; nothing was changed/, name);
        assert.equal(exportText(data), before, `${name} changed the store`);
    }
});

test('a file failing while it is applied changes nothing (all or nothing)', (t) => {
    const dir = makeTempDir(t);
    const data = join(dir, 'data');
    assert.equal(importFile(writeIn(dir, 'good.yaml', GOOD), data).code, 0);
    const before = exportText(data);
    // valid on its own, but two users claim one extension: found while applying,
    // after "newbie" and the new display name were already written
    const text = `users:
  - name: newbie
    role: agent
  - name: root
    displayName: Renamed Root
    role: admin
  - name: x1
    role: agent
    extension: "4444"
  - name: x2
    role: agent
    extension: "4444"
`;
    const r = importFile(writeIn(dir, 'conflict.yaml', text), data);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /extension/);
    assert.match(r.stderr, /was not imported; nothing was changed/);
    assert.equal(exportText(data), before);
});

test('importing the same file twice changes nothing the second time', async (t) => {
    const dir = makeTempDir(t);
    const data = join(dir, 'data');
    const good = writeIn(dir, 'good.yaml', GOOD);
    assert.equal(importFile(good, data).code, 0);
    const first = exportText(data);

    const topics = ['settings', 'users', 'apiKeys'];
    const events = async () => {
        const srv = await useServer(t, {dataDir: data});
        const all = await replayAll(srv.url, {apiKey: KEY}, topics);
        const stopped = await srv.stop();
        assert.equal(stopped.code, 0);
        return all;
    };
    const e1 = await events();
    // server settings, 2 users, 1 key
    assert.deepEqual(e1.events.map((e) => e.type).sort(),
                     ['apiKey.created', 'settings.updated', 'user.created', 'user.created']);

    const r = importFile(good, data);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(exportText(data), first, 'export differs after the second import');
    const e2 = await events();
    assert.equal(e2.lastSeq, e1.lastSeq, 'the second import appended events');
    assert.deepEqual(e2.events, e1.events);
});

test('export then import of the export round-trips', (t) => {
    const dir = makeTempDir(t);
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    assert.equal(importFile(writeIn(dir, 'good.yaml', GOOD), a).code, 0);
    const exported = join(dir, 'export.yaml');
    let r = runCli(['export', '--data', a, '--output', exported]);
    assert.equal(r.code, 0, r.stderr);
    const text = exportText(a);
    // passwords leave only as hashes, keys only as key hashes
    assert.doesNotMatch(text, /root-password-1/);
    assert.doesNotMatch(text, new RegExp(KEY));
    assert.match(text, /passwordHash: .?\$argon2id\$/);

    r = importFile(exported, b);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(exportText(b), text);
    // and importing it back onto its origin changes nothing
    r = importFile(exported, a);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(exportText(a), text);
});

test('serve --config with a bad file exits non-zero with the import message', async (t) => {
    const dir = makeTempDir(t);
    const data = join(dir, 'data');
    assert.equal(importFile(writeIn(dir, 'good.yaml', GOOD), data).code, 0);
    const before = exportText(data);
    const bad = writeIn(dir, 'bad.yaml', BAD['wrongtype.yaml'].text);
    const imp = importFile(bad, data);
    assert.notEqual(imp.code, 0);
    const message = imp.stderr.trim().split('\n');
    assert.equal(message.length, 2);

    const r = runCli(['serve', '--http', '127.0.0.1:0', '--data', data, '--config', bad,
                      '--log-level', 'info'], {timeout: 30000});
    assert.notEqual(r.code, 0);
    assert.equal(r.signal, null);
    for (const line of message) assert.ok(r.stderr.includes(line), `serve stderr has: ${line}\n${r.stderr}`);
    assert.doesNotMatch(r.stdout, /Web:/, 'it must not start listening');
    assert.equal(exportText(data), before);
});

test('serve --config with a good file imports it and serves it', async (t) => {
    const dir = makeTempDir(t);
    const srv = await useServer(t, {config: writeIn(dir, 'good.yaml', GOOD)});
    assert.match(srv.stdout(), /running for Config Test/);
    const r = await api(srv.url, 'GET', '/v1/users', {apiKey: KEY});
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.items.map((u) => u.name), ['agent1', 'root']);
});
