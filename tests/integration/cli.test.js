// The `switchboard` command line: help, version, and refusing bad usage
// with exit code 2 and a message.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {runCli} from './lib/server.js';

test('switchboard --help prints the commands and exits 0', () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
        const r = runCli(args);
        assert.equal(r.code, 0, `${args}: ${r.stderr}`);
        assert.match(r.stdout, /^usage: switchboard COMMAND/m);
        for (const cmd of ['serve', 'import', 'export', 'version'])
            assert.match(r.stdout, new RegExp(`^\\s+${cmd}\\s`, 'm'), `${cmd} listed`);
    }
});

test('switchboard without a command prints usage and exits 2', () => {
    const r = runCli([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: switchboard COMMAND/);
});

test('each command has --help and exits 0', () => {
    const expect = {
        serve: [/usage: switchboard serve/, /--config/, /--data/, /--http/, /--web/, /--log-level/],
        import: [/usage: switchboard import .*FILE/, /--data/],
        export: [/usage: switchboard export/, /--data/, /--output/],
        version: [/usage: switchboard version/],
    };
    for (const [cmd, patterns] of Object.entries(expect)) {
        const r = runCli([cmd, '--help']);
        assert.equal(r.code, 0, `${cmd} --help: ${r.stderr}`);
        for (const p of patterns) assert.match(r.stdout, p, `${cmd} --help mentions ${p}`);
        assert.equal(r.stderr, '', `${cmd} --help writes nothing to stderr`);
    }
});

test('version prints the version', () => {
    for (const args of [['version'], ['--version']]) {
        const r = runCli(args);
        assert.equal(r.code, 0);
        assert.match(r.stdout, /^switchboard \d+\.\d+\.\d+\S* \(sqlite \d+\.\d+\.\d+\)\n$/);
    }
});

test('an unknown command exits 2 with a message', () => {
    const r = runCli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
    assert.match(r.stderr, /usage: switchboard COMMAND/);
    assert.equal(r.stdout, '');
});

test('an unknown option exits 2 with a message', () => {
    for (const cmd of ['serve', 'import', 'export', 'version']) {
        const r = runCli([cmd, '--frobnicate']);
        assert.equal(r.code, 2, `${cmd}: ${r.stderr}`);
        assert.match(r.stderr, /unknown option --frobnicate/, cmd);
        assert.match(r.stderr, new RegExp(`usage: switchboard ${cmd}`));
    }
});

test('an option of another command exits 2 naming that option', () => {
    // `export` takes no --http; the message must name the option, not its value
    const r = runCli(['export', '--http', '127.0.0.1:1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /takes no option --http\b/);
    assert.doesNotMatch(r.stderr, /takes no option 127\.0\.0\.1/);
});

test('a missing value, a stray argument and a bad log level exit 2', () => {
    let r = runCli(['serve', '--data']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /option --data needs a value/);

    r = runCli(['serve', 'extra']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unexpected argument extra/);

    r = runCli(['import']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing FILE/);

    r = runCli(['serve', '--log-level', 'loud']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--log-level loud: expected debug, info, warn or error/);
});

test('serve --http nonsense exits 2 with a clear message', () => {
    const r = runCli(['serve', '--http', 'nonsense', '--data', '/nonexistent-sb-dir']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--http nonsense: expected an address like 127\.0\.0\.1:8080/);
    assert.equal(r.stdout, '');
});
