// The shift manager's dashboard (/manager) in Chromium against the real
// server with the demo configuration: maria signs in and sees the
// wallboard; a call (a Node SIP UA playing the carrier) waits in the support
// queue and its tile shows it, then abandons; she changes an agent's
// availability and queue membership from the page (and is told when a
// change would leave a call queue without an agent); a call carol answers
// turns the tile green and carol busy; the CSV she downloads holds the
// report's JSON rows. An agent is turned away.
//
//   SB_BIN=build/switchboard node --test tests/browser/manager.test.js
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {useServer, demoConfigText, api, DEMO_API_KEY} from '../integration/lib/server.js';
import {SipUA} from '../integration/lib/sipua.js';
import {assertCsvMatchesJson} from '../integration/lib/csv.js';
import {SHOTS, launch, newPage} from './lib.js';

const admin = {apiKey: DEMO_API_KEY};
const shot = (page, name) => page.screenshot({path: join(SHOTS, `manager-${name}.png`), fullPage: true});

async function signIn(page, url, name, password) {
    await page.goto(`${url}/manager`);
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', {name: 'Sign in'}).click();
}

const worker = async (url, id) => (await api(url, 'GET', `/v1/router/workers/${id}`, admin)).json;

test('maria watches a call arrive and leave, staffs the agents, and downloads the CSV', async (t) => {
    const browser = await launch(t);
    const srv = await useServer(t, {configText: demoConfigText()});
    const errors = [];
    const page = await newPage(browser, errors, {viewport: {width: 1600, height: 1000}, acceptDownloads: true});
    await signIn(page, srv.url, 'maria', 'demo-maria');

    // The wallboard: a tile per queue, every agent with a state.
    await page.getByRole('heading', {name: 'Queues now'}).waitFor();
    const support = page.locator('.tile[data-queue="support"]');
    await support.first().waitFor();
    assert.equal(await support.first().locator('.waiting').textContent(), '0');
    await page.locator('#legend', {hasText: 'goal 80%'}).waitFor();
    const rows = page.locator('#agents tr[data-worker]');
    await rows.nth(3).waitFor();
    assert.equal(await rows.count(), 4);
    await page.locator('#agents tr[data-worker="alice"]', {hasText: 'Alice Brown'}).waitFor();
    await page.locator('#agents tr[data-worker="alice"] .pill', {hasText: 'Available'}).waitFor();
    await page.locator('#by-state [data-state="available"] strong', {hasText: '4'}).waitFor();

    // A call to support: nobody has a phone registered, so it waits; its
    // tile (voice) shows one caller and the wait grows.
    const caller = await SipUA.open({port: srv.sip.port, user: '+15559870077'});
    t.after(() => caller.close());
    const {res, call} = await caller.invite(`sip:+15550102@127.0.0.1:${srv.sip.port}`);
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
    caller.ack(call);
    const voice = page.locator('.tile[data-queue="support"][data-channel="voice"]');
    await voice.locator('.waiting', {hasText: /^1$/}).waitFor();
    await voice.locator('.longest-wait', {hasText: /^0:0[2-9]|^0:[1-5]\d/}).waitFor();
    assert.equal(await voice.locator('.offered').textContent(), '1');
    await shot(page, '1-call-waiting');

    // The caller gives up: nobody waits, one abandoned, the tile turns red
    // (its service level 0 %, below the goal) and says so in words.
    assert.equal((await caller.bye(call)).status, 200);
    await voice.locator('.waiting', {hasText: /^0$/}).waitFor();
    await voice.locator('.abandoned', {hasText: /^1$/}).waitFor();
    // Hung up within the threshold: a short abandon counts for nothing yet.
    await voice.locator('.status', {hasText: 'No answers yet'}).waitFor();

    // Availability from the page: bob goes on a break, the router knows.
    await page.getByRole('button', {name: 'Make unavailable: Bob Singh'}).click();
    await page.locator('#agents tr[data-worker="bob"] .pill', {hasText: 'Unavailable'}).waitFor();
    let bob = await worker(srv.url, 'bob');
    assert.equal(bob.available, false);
    assert.equal(bob.unavailableReason, 'Set by Maria Lopez');
    await page.locator('#agents tr[data-worker="bob"][data-state="unavailable"]').waitFor();
    await page.getByRole('button', {name: 'Make available: Bob Singh'}).click();
    await page.locator('#agents tr[data-worker="bob"] .pill', {hasText: /^Available$/}).waitFor();
    bob = await worker(srv.url, 'bob');
    assert.equal(bob.available, true);

    // Queues: alice leaves support (carol still answers its calls)...
    await page.getByRole('button', {name: 'Queues of Alice Brown'}).click();
    const aliceEditor = page.locator('tr[data-editor-of="alice"]');
    await aliceEditor.getByRole('group', {name: 'Queues Alice Brown serves'}).waitFor();
    await aliceEditor.getByLabel('Support').uncheck();
    await aliceEditor.getByRole('button', {name: 'Save'}).click();
    await aliceEditor.waitFor({state: 'detached'});
    await page.locator('#agents tr[data-worker="alice"] .queue-list', {hasText: /^Sales$/}).waitFor();
    assert.deepEqual((await worker(srv.url, 'alice')).queues, ['sales']);
    // ...but carol may not: the support call queue would have nobody.
    await page.getByRole('button', {name: 'Queues of Carol Chen'}).click();
    const carolEditor = page.locator('tr[data-editor-of="carol"]');
    await carolEditor.getByLabel('Support').uncheck();
    await carolEditor.getByLabel('Sales').check();
    await carolEditor.getByRole('button', {name: 'Save'}).click();
    const refused = carolEditor.getByRole('alert');
    await refused.filter({hasText: /Not changed: .*support/}).waitFor();
    await shot(page, '2-change-refused');
    assert.deepEqual((await worker(srv.url, 'carol')).queues, ['support'], 'nothing changed');
    await carolEditor.getByRole('button', {name: 'Cancel'}).click();
    await carolEditor.waitFor({state: 'detached'});

    // carol's phone answers the next call at once: support's calls are
    // answered within the threshold, its tile turns green, carol is busy.
    const carol = await SipUA.open({port: srv.sip.port, user: '1003', password: 'demo-carol'});
    t.after(() => carol.close());
    assert.equal((await carol.register()).status, 200);
    carol.autoAnswer();
    const second = await SipUA.open({port: srv.sip.port, user: '+15559870078'});
    t.after(() => second.close());
    const c2 = await second.invite(`sip:+15550102@127.0.0.1:${srv.sip.port}`);
    assert.equal(c2.res.status, 200);
    second.ack(c2.call);
    await voice.locator('.answered', {hasText: /^1$/}).waitFor();
    await voice.locator('.status', {hasText: 'On target'}).waitFor();
    assert.equal(await voice.getAttribute('data-status'), 'green');
    await page.locator('#agents tr[data-worker="carol"] .pill', {hasText: 'Busy'}).waitFor();
    await shot(page, '3-answered');
    assert.equal((await second.bye(c2.call)).status, 200);
    await page.locator('#agents tr[data-worker="carol"] .pill', {hasText: /^(Wrap-up|Available)$/}).waitFor();

    // The charts and the figures' table have the call's quarter hour.
    await page.locator('#chart-volume .uplot').waitFor();
    await page.getByText('The figures as a table').click();
    await page.locator('#chart-rows tr').first().locator('td').first().filter({hasText: /^[1-9]/}).waitFor();

    // The CSV of today's queues, as downloaded, holds the JSON's rows.
    const from = await page.getByLabel('From').inputValue();
    assert.match(from, /^\d{4}-\d{2}-\d{2}$/);
    await page.getByLabel('Interval').selectOption('15m');
    const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', {name: 'Queues', exact: true}).click(),
    ]);
    assert.equal(download.suggestedFilename(), `queues-${from}-15m.csv`);
    const csv = readFileSync(await download.path(), 'utf8');
    const json = await api(srv.url, 'GET', `/v1/reports/queues?from=${from}&interval=15m`, admin);
    assert.equal(json.status, 200, json.text);
    assert.ok(json.json.rows.some((r) => r.queueId === 'support' && r.channel === 'voice' && r.abandoned === 1),
              JSON.stringify(json.json.rows));
    assertCsvMatchesJson(csv, json.json.rows, {name: 'queues'});
    await page.locator('#dl-status', {hasText: `Downloaded queues-${from}-15m.csv`}).waitFor();
    await shot(page, '4-wallboard');
    assert.deepEqual(errors, []);
});

test('an agent is turned away with a clear message, and the keyboard reaches every control', async (t) => {
    const browser = await launch(t);
    const srv = await useServer(t, {configText: demoConfigText()});
    const errors = [];
    const page = await newPage(browser, errors);
    await signIn(page, srv.url, 'alice', 'demo-alice');
    await page.locator('#signin-error', {hasText: 'Alice Brown is an agent: this dashboard is for shift managers and admins'}).waitFor();
    assert.equal(await page.locator('#board').isVisible(), false);
    // Her session was closed again: the token no longer works.
    const stored = await page.evaluate(() => sessionStorage.getItem('sb-manager-token'));
    assert.equal(stored, null);
    await shot(page, '5-agent-refused');

    // An admin may; the sign-in form and the board work by keyboard alone.
    await page.getByLabel('Name').fill('admin');
    await page.getByLabel('Password').fill('demo-admin');
    await page.keyboard.press('Enter');
    await page.locator('#agents tr[data-worker="carol"]').waitFor();
    const focusable = await page.evaluate(() => [...document.querySelectorAll('#board button, #board select, #board input, #board summary')]
        .filter((e) => e.offsetParent !== null).length);
    let reached = 0;
    for (let i = 0; i < focusable + 5 && reached < 3; i++) {
        await page.keyboard.press('Tab');
        const label = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
        if (/^Queues of /.test(label)) reached++;
    }
    assert.ok(reached >= 3, 'Tab reaches the agents\' buttons');
    await page.keyboard.press('Enter');
    const editor = page.locator('tr.editor');
    await editor.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.type), 'checkbox', 'the editor takes the focus');
    await page.keyboard.press('Escape');
    await editor.waitFor({state: 'detached'});
    assert.match(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? ''), /^Queues of /);
    assert.deepEqual(errors, []);
});
