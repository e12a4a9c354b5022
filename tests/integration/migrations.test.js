// The SQLite store: migrations applied once and logged, the file where
// the documentation says, in WAL mode.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {existsSync, openSync, readSync, closeSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {useServer, makeTempDir, runCli, parseLogLine} from './lib/server.js';

function header(file) {
    const fd = openSync(file, 'r');
    try {
        const buf = Buffer.alloc(100);
        readSync(fd, buf, 0, 100, 0);
        return buf;
    } finally {
        closeSync(fd);
    }
}

test('the first start applies 0001_init.sql and logs it; the second applies nothing', async (t) => {
    const data = makeTempDir(t);
    const first = await useServer(t, {dataDir: data});
    const applied = first.parsedLogs().filter((l) => l.msg === 'migration applied');
    assert.ok(applied.length >= 1, first.logs().join('\n'));
    assert.equal(applied[0].migration, '0001_init.sql');
    assert.equal(applied[0].level, 'info');
    assert.equal(applied[0].component, 'store');
    // numbered, in order
    const names = applied.map((l) => l.migration);
    assert.deepEqual([...names].sort(), names);
    for (const n of names) assert.match(n, /^\d{4}_[a-z0-9_]+\.sql$/);
    // migrations come before the server listens
    const lines = first.logs();
    const iApplied = lines.findIndex((l) => /msg="migration applied"/.test(l));
    const iListen = lines.findIndex((l) => /msg="listening"/.test(l));
    assert.ok(iApplied >= 0 && iListen > iApplied);
    assert.equal((await first.stop()).code, 0);

    const second = await useServer(t, {dataDir: data});
    assert.deepEqual(second.logs().filter((l) => /migration/.test(l)), []);
    assert.equal((await second.stop()).code, 0);

    // one-shot commands on the same store apply nothing either (and say nothing)
    const exp = runCli(['export', '--data', data]);
    assert.equal(exp.code, 0);
    assert.doesNotMatch(exp.stderr, /migration/);
});

test('the store is DATA/switchboard.db in WAL mode', async (t) => {
    const data = makeTempDir(t);
    const srv = await useServer(t, {dataDir: data});
    const db = join(data, 'switchboard.db');
    assert.ok(existsSync(db), 'switchboard.db exists');
    assert.ok(existsSync(`${db}-wal`), 'a -wal file exists while running');
    assert.match(srv.stdout(), new RegExp(`Data:\\s+${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/switchboard\\.db`));
    const h = header(db);
    assert.equal(h.subarray(0, 16).toString('latin1'), 'SQLite format 3\u0000');
    assert.equal(h[18], 2, 'file format write version 2 (WAL)');
    assert.equal(h[19], 2, 'file format read version 2 (WAL)');

    const stopped = await srv.stop();
    assert.equal(stopped.code, 0);
    // still WAL after a clean stop (the mode is persistent), and checkpointed
    const h2 = header(db);
    assert.equal(h2[18], 2);
    assert.equal(h2[19], 2);
    if (existsSync(`${db}-wal`))
        assert.equal(statSync(`${db}-wal`).size, 0, 'the WAL was checkpointed at stop');
});
