// Signing in and out, credentials (session tokens, API keys), expiry,
// login rate limits and disabled accounts.
import {test, describe, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {
    startServer, useServer, api, login, errorBody, sleep, demoConfigText, userByName,
    DEMO_API_KEY, DEMO_YAML,
} from './lib/server.js';

describe('with the demo server', () => {
    let srv;
    before(async () => {
        srv = await startServer({config: DEMO_YAML});
    });
    after(() => srv && srv.close());

    test('login gives a session token, its expiry and the user', async () => {
        const t0 = Date.now();
        const r = await api(srv.url, 'POST', '/v1/sessions', {body: {name: 'alice', password: 'demo-alice'}});
        assert.equal(r.status, 201, r.text);
        assert.match(r.headers.get('content-type'), /^application\/json/);
        assert.match(r.json.token, /^sbs_[A-Za-z0-9_-]{20,}$/);
        assert.equal(r.json.tokenType, 'Bearer');
        const expires = Date.parse(r.json.expiresAt);
        assert.ok(Number.isFinite(expires), `expiresAt ${r.json.expiresAt}`);
        // the demo's ttl is 12 h
        assert.ok(Math.abs(expires - t0 - 43200e3) < 120e3, `expiresAt ${r.json.expiresAt}`);
        assert.equal(r.json.user.name, 'alice');
        assert.equal(r.json.user.role, 'agent');
        assert.equal(r.json.user.extension, '1001');
        assert.match(r.json.user.id, /^usr_/);
        assert.equal(r.json.user.password, undefined);
        assert.equal(r.json.user.passwordHash, undefined);
        // two logins give two different tokens
        const again = await login(srv.url, 'alice');
        assert.notEqual(again, r.json.token);
    });

    test('wrong password and unknown user get the same 401', async () => {
        const wrong = await api(srv.url, 'POST', '/v1/sessions', {body: {name: 'maria', password: 'not-her-password'}});
        const unknown = await api(srv.url, 'POST', '/v1/sessions', {body: {name: 'nobody', password: 'whatever-123'}});
        const e1 = errorBody(wrong, 401, 'invalid_credentials');
        const e2 = errorBody(unknown, 401, 'invalid_credentials');
        assert.equal(e1.message, e2.message);
        assert.deepEqual({...e1, requestId: ''}, {...e2, requestId: ''});
        assert.equal(wrong.headers.get('www-authenticate'), unknown.headers.get('www-authenticate'));
    });

    test('a login body must have name and password', async () => {
        const r = await api(srv.url, 'POST', '/v1/sessions', {body: {name: 'admin'}});
        const e = errorBody(r, 422, 'validation_failed');
        assert.ok(Array.isArray(e.details));
        assert.ok(e.details.some((d) => /password/.test(d.path + d.message)), JSON.stringify(e.details));
    });

    test('/v1/me with a session token', async () => {
        const token = await login(srv.url, 'maria');
        const r = await api(srv.url, 'GET', '/v1/me', {token});
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.kind, 'user');
        assert.equal(r.json.name, 'maria');
        assert.equal(r.json.role, 'manager');
        assert.equal(r.json.email, 'maria@harborcycles.example');
        assert.ok(Number.isFinite(Date.parse(r.json.sessionExpiresAt)));
    });

    test('/v1/me with the API key as X-API-Key and as Bearer', async () => {
        for (const auth of [{apiKey: DEMO_API_KEY}, {token: DEMO_API_KEY}]) {
            const r = await api(srv.url, 'GET', '/v1/me', auth);
            assert.equal(r.status, 200, r.text);
            assert.equal(r.json.kind, 'apiKey');
            assert.equal(r.json.name, 'demo-integration');
            assert.equal(r.json.role, 'admin');
            assert.equal(JSON.stringify(r.json).includes(DEMO_API_KEY), false, 'the key is not echoed');
        }
    });

    test('without credentials: 401 with WWW-Authenticate', async () => {
        const r = await api(srv.url, 'GET', '/v1/me');
        errorBody(r, 401, 'unauthenticated');
        assert.match(r.headers.get('www-authenticate') || '', /^Bearer realm="switchboard"/);
    });

    test('garbage tokens and keys: 401 invalid_token', async () => {
        for (const auth of [
            {token: 'garbage'},
            {token: 'sbs_thisisnotavalidtokenatall0000000000000'},
            {apiKey: 'sbk_thisisnotavalidkeyatall000000000000000000'},
            {token: 'sbk_demo_harbor_cycles_integration_key_0002'},
        ]) {
            const r = await api(srv.url, 'GET', '/v1/me', auth);
            errorBody(r, 401, 'invalid_token');
            assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
        }
    });

    test('?access_token= is for WebSocket upgrades only, not plain requests', async () => {
        // tokens in URLs end up in logs and histories; the query parameter
        // exists because browsers cannot set headers on a WebSocket
        const token = await login(srv.url, 'bob');
        const r = await api(srv.url, 'GET', `/v1/me?access_token=${token}`);
        errorBody(r, 401, 'unauthenticated');
    });

    test('logout: DELETE /v1/sessions/current, then the token is refused', async () => {
        const token = await login(srv.url, 'erin');
        const other = await login(srv.url, 'erin');
        let r = await api(srv.url, 'DELETE', '/v1/sessions/current', {token});
        assert.equal(r.status, 204, r.text);
        assert.equal(r.text, '');
        r = await api(srv.url, 'GET', '/v1/me', {token});
        errorBody(r, 401, 'invalid_token');
        r = await api(srv.url, 'DELETE', '/v1/sessions/current', {token});
        errorBody(r, 401, 'invalid_token');
        // erin's other session is untouched
        r = await api(srv.url, 'GET', '/v1/me', {token: other});
        assert.equal(r.status, 200);
        // an API key has no session to end
        r = await api(srv.url, 'DELETE', '/v1/sessions/current', {apiKey: DEMO_API_KEY});
        errorBody(r, 400, 'not_a_session');
    });

    test('a disabled user cannot sign in and loses open sessions', async () => {
        const open = await login(srv.url, 'dave');
        const dave = await userByName(srv.url, 'dave');
        let r = await api(srv.url, 'PATCH', `/v1/users/${dave.id}`, {apiKey: DEMO_API_KEY, body: {disabled: true}});
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.disabled, true);
        r = await api(srv.url, 'POST', '/v1/sessions', {body: {name: 'dave', password: 'demo-dave'}});
        assert.equal(r.status, 401, r.text);
        assert.match(r.json.error.code, /^(account_disabled|invalid_credentials)$/);
        r = await api(srv.url, 'GET', '/v1/me', {token: open});
        errorBody(r, 401, 'account_disabled');
        // enabled again: signs in
        r = await api(srv.url, 'PATCH', `/v1/users/${dave.id}`, {apiKey: DEMO_API_KEY, body: {disabled: false}});
        assert.equal(r.status, 200, r.text);
        await login(srv.url, 'dave');
        r = await api(srv.url, 'GET', '/v1/me', {token: open});
        assert.equal(r.status, 200);
    });
});

test('an expired session token gets 401 token_expired', async (t) => {
    const srv = await useServer(t, {configText: demoConfigText({sessions: {ttlSeconds: 1}})});
    const r0 = await api(srv.url, 'POST', '/v1/sessions', {body: {name: 'bob', password: 'demo-bob'}});
    assert.equal(r0.status, 201, r0.text);
    const token = r0.json.token;
    const expires = Date.parse(r0.json.expiresAt);
    assert.ok(expires - Date.now() <= 1100, `expiresAt ${r0.json.expiresAt}`);
    let r = await api(srv.url, 'GET', '/v1/me', {token});
    assert.equal(r.status, 200, r.text);
    await sleep(Math.max(0, expires - Date.now()) + 500);
    r = await api(srv.url, 'GET', '/v1/me', {token});
    const e = errorBody(r, 401, 'token_expired');
    assert.match(e.message, /expired/);
    assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
});

test('per-account limit: after 3 failures even the right password gets 429', async (t) => {
    const srv = await useServer(t, {configText: demoConfigText({logins: {maxFailuresPerAccount: 3, maxFailuresPerAddress: 100}})});
    for (let i = 0; i < 3; i++) {
        const r = await api(srv.url, 'POST', '/v1/sessions', {body: {name: 'carol', password: `wrong-${i}-password`}});
        errorBody(r, 401, 'invalid_credentials');
    }
    const r = await api(srv.url, 'POST', '/v1/sessions', {body: {name: 'carol', password: 'demo-carol'}});
    errorBody(r, 429, 'too_many_attempts');
    const retry = r.headers.get('retry-after');
    assert.match(retry || '', /^\d+$/, `Retry-After: ${retry}`);
    // the default lockout is 900 s
    assert.ok(Number(retry) > 800 && Number(retry) <= 900, `Retry-After: ${retry}`);
    // other accounts from the same address are not affected
    await login(srv.url, 'bob');
    // nor is the lock lifted by a success elsewhere
    const again = await api(srv.url, 'POST', '/v1/sessions', {body: {name: 'carol', password: 'demo-carol'}});
    errorBody(again, 429, 'too_many_attempts');
    assert.ok(srv.logs().some((l) => /msg="sign-in refused"/.test(l) && /name="carol"/.test(l)),
              'failures are logged');
    assert.ok(!srv.logs().some((l) => l.includes('wrong-0-password')), 'passwords are never logged');
});

test('per-address limit: failures over different names lock the address', async (t) => {
    const srv = await useServer(t, {
        configText: demoConfigText({logins: {maxFailuresPerAccount: 100, maxFailuresPerAddress: 4, lockoutSeconds: 60}}),
    });
    const names = ['alice', 'bob', 'ghost1', 'ghost2'];
    for (const name of names) {
        const r = await api(srv.url, 'POST', '/v1/sessions', {body: {name, password: 'definitely-wrong'}});
        errorBody(r, 401, 'invalid_credentials');
    }
    for (const [name, password] of [['admin', 'demo-admin'], ['erin', 'demo-erin'], ['newname', 'x-password']]) {
        const r = await api(srv.url, 'POST', '/v1/sessions', {body: {name, password}});
        errorBody(r, 429, 'too_many_attempts');
        const retry = Number(r.headers.get('retry-after'));
        assert.ok(retry > 0 && retry <= 60, `Retry-After ${retry}`);
    }
    // credentials already held keep working
    const r = await api(srv.url, 'GET', '/v1/me', {apiKey: DEMO_API_KEY});
    assert.equal(r.status, 200);
});
