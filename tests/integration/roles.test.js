// /v1/users: who may do what, create/read/update/delete, conflicts,
// validation, the last admin, pagination and Idempotency-Key.
import {test, describe, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {startServer, api, login, errorBody, userByName, DEMO_API_KEY} from './lib/server.js';

const admin = {apiKey: DEMO_API_KEY};

describe('users and roles', () => {
    let srv;
    const tokens = {};
    before(async () => {
        srv = await startServer();
        for (const name of ['admin', 'maria', 'alice', 'erin']) tokens[name] = await login(srv.url, name);
    });
    after(() => srv && srv.close());

    test('an agent and an expert may not list users: 403 forbidden', async () => {
        for (const who of ['alice', 'erin']) {
            const r = await api(srv.url, 'GET', '/v1/users', {token: tokens[who]});
            const e = errorBody(r, 403, 'forbidden');
            assert.match(e.message, /role/);
            const one = await api(srv.url, 'GET', '/v1/users/usr_whatever', {token: tokens[who]});
            errorBody(one, 403, 'forbidden');
        }
    });

    test('a manager may read users but not write them', async () => {
        let r = await api(srv.url, 'GET', '/v1/users', {token: tokens.maria});
        assert.equal(r.status, 200, r.text);
        assert.ok(r.json.items.some((u) => u.name === 'alice'));
        const alice = r.json.items.find((u) => u.name === 'alice');
        r = await api(srv.url, 'GET', `/v1/users/${alice.id}`, {token: tokens.maria});
        assert.equal(r.status, 200);
        r = await api(srv.url, 'POST', '/v1/users', {token: tokens.maria, body: {name: 'mgrmade', role: 'agent'}});
        errorBody(r, 403, 'forbidden');
        r = await api(srv.url, 'PATCH', `/v1/users/${alice.id}`, {token: tokens.maria, body: {displayName: 'X'}});
        errorBody(r, 403, 'forbidden');
        r = await api(srv.url, 'DELETE', `/v1/users/${alice.id}`, {token: tokens.maria});
        errorBody(r, 403, 'forbidden');
        assert.equal(await userByName(srv.url, 'mgrmade'), null);
    });

    test('an agent may not write users either', async () => {
        const r = await api(srv.url, 'POST', '/v1/users', {token: tokens.alice, body: {name: 'agentmade', role: 'admin'}});
        errorBody(r, 403, 'forbidden');
    });

    test('admin CRUD: create, read, merge-patch, delete', async () => {
        for (const auth of [{token: tokens.admin}, admin]) {
            const name = auth.token ? 'crud-session' : 'crud-key';
            let r = await api(srv.url, 'POST', '/v1/users', {
                ...auth, body: {name, displayName: 'Crud Test', email: 'crud@example.com', role: 'agent', extension: '5001' + (auth.token ? '1' : '2')},
            });
            assert.equal(r.status, 201, r.text);
            const u = r.json;
            assert.match(u.id, /^usr_/);
            assert.equal(r.headers.get('location'), `/v1/users/${u.id}`);
            assert.equal(u.name, name);
            assert.equal(u.displayName, 'Crud Test');
            assert.equal(u.disabled, false);
            assert.ok(Date.parse(u.createdAt) && Date.parse(u.updatedAt));

            r = await api(srv.url, 'GET', `/v1/users/${u.id}`, auth);
            assert.equal(r.status, 200);
            assert.deepEqual(r.json, u);

            // merge patch: given fields change, others stay, null removes
            r = await api(srv.url, 'PATCH', `/v1/users/${u.id}`, {...auth, body: {displayName: 'Patched', email: null}});
            assert.equal(r.status, 200, r.text);
            assert.equal(r.json.displayName, 'Patched');
            assert.equal(r.json.email, undefined);
            assert.equal(r.json.role, 'agent');
            assert.equal(r.json.extension, u.extension);
            assert.equal(r.json.id, u.id);
            assert.equal(r.json.createdAt, u.createdAt);
            r = await api(srv.url, 'GET', `/v1/users/${u.id}`, auth);
            assert.equal(r.json.displayName, 'Patched');
            assert.equal(r.json.email, undefined);

            r = await api(srv.url, 'DELETE', `/v1/users/${u.id}`, auth);
            assert.equal(r.status, 204, r.text);
            assert.equal(r.text, '');
            r = await api(srv.url, 'GET', `/v1/users/${u.id}`, auth);
            errorBody(r, 404, 'not_found');
            r = await api(srv.url, 'DELETE', `/v1/users/${u.id}`, auth);
            errorBody(r, 404, 'not_found');
            r = await api(srv.url, 'PATCH', `/v1/users/${u.id}`, {...auth, body: {displayName: 'Ghost'}});
            errorBody(r, 404, 'not_found');
        }
    });

    test('a user with a password can sign in with it', async () => {
        let r = await api(srv.url, 'POST', '/v1/users', {...admin, body: {name: 'withpw', role: 'expert', password: 'a-long-password'}});
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.password, undefined);
        const token = await login(srv.url, 'withpw', 'a-long-password');
        r = await api(srv.url, 'GET', '/v1/me', {token});
        assert.equal(r.json.role, 'expert');
    });

    test('a duplicate name or extension: 409', async () => {
        let r = await api(srv.url, 'POST', '/v1/users', {...admin, body: {name: 'alice', role: 'agent'}});
        errorBody(r, 409, 'conflict');
        r = await api(srv.url, 'POST', '/v1/users', {...admin, body: {name: 'newext', role: 'agent', extension: '1001'}});
        errorBody(r, 409, 'conflict');
        assert.equal(await userByName(srv.url, 'newext'), null);
        // and taking another's extension by PATCH
        const bob = await userByName(srv.url, 'bob');
        r = await api(srv.url, 'PATCH', `/v1/users/${bob.id}`, {...admin, body: {extension: '1001'}});
        errorBody(r, 409, 'conflict');
        assert.equal((await userByName(srv.url, 'bob')).extension, '1002');
    });

    test('an invalid body: 422 with details [{path, message}]', async () => {
        const r = await api(srv.url, 'POST', '/v1/users', {
            ...admin, body: {name: 'Bad Name', role: 'wizard', extension: 'x1', colour: 'red'},
        });
        const e = errorBody(r, 422, 'validation_failed');
        assert.ok(Array.isArray(e.details) && e.details.length >= 3, JSON.stringify(e));
        for (const d of e.details) {
            assert.equal(typeof d.path, 'string');
            assert.equal(typeof d.message, 'string');
        }
        const paths = e.details.map((d) => d.path);
        for (const p of ['name', 'role', 'extension', 'colour'])
            assert.ok(paths.some((x) => x === p || x.endsWith(`.${p}`) || x.endsWith(`/${p}`)), `${p} in ${paths}`);
        // a required field missing
        const r2 = await api(srv.url, 'POST', '/v1/users', {...admin, body: {name: 'norole'}});
        const e2 = errorBody(r2, 422, 'validation_failed');
        assert.ok(e2.details.some((d) => /role/.test(d.message) || /role/.test(d.path)), JSON.stringify(e2));
    });

    test('renaming a user is refused: 422', async () => {
        const alice = await userByName(srv.url, 'alice');
        const r = await api(srv.url, 'PATCH', `/v1/users/${alice.id}`, {...admin, body: {name: 'alicia'}});
        errorBody(r, 422, 'validation_failed');
        assert.equal((await api(srv.url, 'GET', `/v1/users/${alice.id}`, admin)).json.name, 'alice');
        // the same name is not a rename
        const same = await api(srv.url, 'PATCH', `/v1/users/${alice.id}`, {...admin, body: {name: 'alice'}});
        assert.equal(same.status, 200, same.text);
    });

    test('the last admin can be neither deleted nor demoted nor disabled: 409', async () => {
        const adm = await userByName(srv.url, 'admin');
        let r = await api(srv.url, 'DELETE', `/v1/users/${adm.id}`, admin);
        errorBody(r, 409, 'last_admin');
        r = await api(srv.url, 'PATCH', `/v1/users/${adm.id}`, {...admin, body: {role: 'manager'}});
        errorBody(r, 409, 'last_admin');
        r = await api(srv.url, 'PATCH', `/v1/users/${adm.id}`, {...admin, body: {disabled: true}});
        errorBody(r, 409, 'last_admin');
        r = await api(srv.url, 'GET', `/v1/users/${adm.id}`, admin);
        assert.equal(r.json.role, 'admin');
        assert.equal(r.json.disabled, false);
        // with a second admin, the first may step down
        r = await api(srv.url, 'POST', '/v1/users', {...admin, body: {name: 'admin2', role: 'admin'}});
        assert.equal(r.status, 201, r.text);
        const second = r.json;
        r = await api(srv.url, 'PATCH', `/v1/users/${adm.id}`, {...admin, body: {role: 'manager'}});
        assert.equal(r.status, 200, r.text);
        // and now admin2 is the last one
        r = await api(srv.url, 'DELETE', `/v1/users/${second.id}`, admin);
        errorBody(r, 409, 'last_admin');
        r = await api(srv.url, 'PATCH', `/v1/users/${adm.id}`, {...admin, body: {role: 'admin'}});
        assert.equal(r.status, 200, r.text);
        r = await api(srv.url, 'DELETE', `/v1/users/${second.id}`, admin);
        assert.equal(r.status, 204, r.text);
    });

    test('pagination with limit and nextCursor walks every user once', async () => {
        for (let i = 0; i < 7; i++) {
            const r = await api(srv.url, 'POST', '/v1/users', {...admin, body: {name: `page-${i}`, role: 'agent'}});
            assert.equal(r.status, 201, r.text);
        }
        const all = await api(srv.url, 'GET', '/v1/users?limit=500', admin);
        assert.equal(all.json.nextCursor, null);
        const expected = all.json.items.map((u) => u.id);
        assert.ok(expected.length >= 14);
        for (const limit of [1, 3, 5]) {
            const seen = [];
            let cursor = null;
            let pages = 0;
            do {
                const q = `/v1/users?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
                const r = await api(srv.url, 'GET', q, admin);
                assert.equal(r.status, 200, r.text);
                assert.ok(r.json.items.length <= limit);
                seen.push(...r.json.items.map((u) => u.id));
                cursor = r.json.nextCursor;
                assert.ok(++pages <= expected.length + 1, 'pagination does not end');
            } while (cursor);
            assert.deepEqual(seen, expected, `limit=${limit}`);
            assert.equal(new Set(seen).size, seen.length);
        }
        for (const bad of ['0', '-1', 'x', '501']) {
            const r = await api(srv.url, 'GET', `/v1/users?limit=${bad}`, admin);
            errorBody(r, 400, 'bad_query');
        }
    });

    test('Idempotency-Key: a retry replays the answer; another body is refused', async () => {
        const body = {name: 'idem-user', role: 'agent', displayName: 'Once'};
        const headers = {'Idempotency-Key': 'idem-test-key-1'};
        const r1 = await api(srv.url, 'POST', '/v1/users', {...admin, body, headers});
        assert.equal(r1.status, 201, r1.text);
        assert.equal(r1.headers.get('idempotent-replayed'), null);
        const r2 = await api(srv.url, 'POST', '/v1/users', {...admin, body, headers});
        assert.equal(r2.status, 201, r2.text);
        assert.equal(r2.headers.get('idempotent-replayed'), 'true');
        assert.deepEqual(r2.json, r1.json);
        const list = await api(srv.url, 'GET', '/v1/users?limit=500', admin);
        assert.equal(list.json.items.filter((u) => u.name === 'idem-user').length, 1);

        const r3 = await api(srv.url, 'POST', '/v1/users', {...admin, body: {...body, displayName: 'Twice'}, headers});
        errorBody(r3, 422, 'idempotency_key_reused');
        assert.equal((await userByName(srv.url, 'idem-user')).displayName, 'Once');

        // without the key the same body is a plain duplicate
        const r4 = await api(srv.url, 'POST', '/v1/users', {...admin, body});
        errorBody(r4, 409, 'conflict');
    });

    test('an idempotent replay is the same answer, Location included', async () => {
        const body = {name: 'idem-location', role: 'agent'};
        const headers = {'Idempotency-Key': 'idem-test-key-2'};
        const r1 = await api(srv.url, 'POST', '/v1/users', {...admin, body, headers});
        assert.equal(r1.status, 201, r1.text);
        assert.equal(r1.headers.get('location'), `/v1/users/${r1.json.id}`);
        const r2 = await api(srv.url, 'POST', '/v1/users', {...admin, body, headers});
        assert.equal(r2.status, 201);
        assert.equal(r2.headers.get('idempotent-replayed'), 'true');
        assert.equal(r2.headers.get('location'), r1.headers.get('location'),
                     'the replayed 201 lacks the Location header of the first answer');
    });

    test('Idempotency-Key is per principal', async () => {
        const headers = {'Idempotency-Key': 'shared-key'};
        const a = await api(srv.url, 'POST', '/v1/users', {...admin, body: {name: 'idem-by-key', role: 'agent'}, headers});
        assert.equal(a.status, 201, a.text);
        const b = await api(srv.url, 'POST', '/v1/users', {token: tokens.admin, body: {name: 'idem-by-session', role: 'agent'}, headers});
        assert.equal(b.status, 201, b.text);
        assert.equal(b.headers.get('idempotent-replayed'), null);
        assert.notEqual(b.json.id, a.json.id);
    });
});
