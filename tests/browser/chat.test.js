// Browser tests of the web chat: the embed script on another site, the
// consumer's widget page and the agent desktop, driven in Debian's Chromium
// (playwright-core) against the real server with the demo configuration.
//
//   SB_BIN=build/switchboard node --test tests/browser/
//
// SB_CHROMIUM names another Chromium; screenshots go to build/screenshots/
// (SB_SCREENSHOTS for another folder): see lib.js.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {join} from 'node:path';
import {
    useServer, makeTempDir, demoConfigText, api, DEMO_API_KEY,
} from '../integration/lib/server.js';
import {SHOTS, launch, newPage} from './lib.js';

/* Another site (another origin: its own port) that embeds the widget. */
async function hostSite(t, serverUrl) {
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Harbor Cycles</title></head>
<body><h1>Harbor Cycles</h1><p>Bicycles, repairs and rentals.</p>
<script src="${serverUrl}/widget.js" data-widget="harbor-web" async></script></body></html>`;
    const site = http.createServer((req, res) => {
        res.writeHead(200, {'Content-Type': 'text/html; charset=utf-8'});
        res.end(html);
    });
    await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise((resolve) => site.close(resolve)));
    return `http://127.0.0.1:${site.address().port}/`;
}

/* Only alice may take the chat, and only once she says she is available. */
async function everyoneUnavailable(url) {
    for (const id of ['alice', 'bob', 'carol', 'dave']) {
        const r = await api(url, 'POST', `/v1/router/workers/${id}/availability`,
                            {apiKey: DEMO_API_KEY, body: {available: false, reason: 'browser test'}});
        assert.equal(r.status, 200, `availability of ${id}: ${r.status} ${r.text}`);
    }
}

const shot = (page, name) => page.screenshot({path: join(SHOTS, `chat-${name}.png`)});

/* The seqs of the messages shown, in page order. */
const shownSeqs = (log) => log.locator('li[data-seq]').evaluateAll(
    (items) => items.map((li) => Number(li.dataset.seq)));

test('a visitor chats with the bot, is handed to alice, they talk, alice ends the chat', async (t) => {
    const browser = await launch(t); // closed first: the server then stops at once
    const srv = await useServer(t, {configText: demoConfigText()});
    await everyoneUnavailable(srv.url);
    const site = await hostSite(t, srv.url);
    const errors = [];

    // ---- the visitor, on the shop's site ----
    const visitor = await newPage(browser, errors);
    await visitor.goto(site);
    const launcher = visitor.getByRole('button', {name: 'Chat with us'});
    await launcher.waitFor();
    assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
    await launcher.click();
    assert.equal(await launcher.getAttribute('aria-expanded'), 'true');
    const chat = visitor.frameLocator('.switchboard-chat iframe');
    const log = chat.locator('#log');

    // The bot greets, with quick replies.
    await log.locator('.msg-bot').first().waitFor();
    const replies = chat.locator('#replies button');
    await replies.first().waitFor();
    await shot(visitor, '1-greeting');
    const labels = await replies.allTextContents();
    const label = labels.find((l) => /hour|open/i.test(l)) ?? labels[0];
    const botsBefore = await log.locator('.msg-bot').count();
    await chat.getByRole('button', {name: label, exact: true}).click();
    await log.locator('.msg-consumer.msg-mine', {hasText: label}).waitFor();
    await log.locator('.msg-bot').nth(botsBefore).waitFor();

    // Asking for a person hands the chat over; nobody is free yet: waiting.
    const input = chat.getByLabel('Message', {exact: true});
    await input.fill('I want to talk to a person');
    await input.press('Enter');
    await log.locator('.msg-consumer', {hasText: 'I want to talk to a person'}).waitFor();
    await chat.locator('#status', {hasText: 'Waiting for an agent'}).waitFor();
    await chat.locator('#waiting-text', {hasText: 'number 1'}).waitFor();
    await shot(visitor, '2-waiting');

    // ---- alice, in the agent desktop ----
    const agent = await newPage(browser, errors);
    await agent.goto(`${srv.url}/agent`);
    await agent.getByLabel('Name').fill('alice');
    await agent.getByLabel('Password').fill('demo-alice');
    await agent.getByRole('button', {name: 'Sign in'}).click();
    await agent.locator('#avail-status', {hasText: 'Unavailable'}).waitFor();
    await agent.getByRole('button', {name: 'Set available'}).click();
    await agent.locator('#avail-status', {hasText: /^Available$/}).waitFor();

    // The offer, with its countdown; accept it.
    const offer = agent.locator('.offer');
    await offer.waitFor();
    await offer.locator('.countdown', {hasText: /Expires in \d+ s/}).waitFor();
    await shot(agent, '3-offer');
    await offer.getByRole('button', {name: 'Accept'}).click();
    await offer.waitFor({state: 'detached'});

    // The chat opens as a tab, with the whole transcript (the bot's turns too).
    const tab = agent.getByRole('tab');
    await tab.waitFor();
    assert.equal(await tab.getAttribute('aria-selected'), 'true');
    const panel = agent.getByRole('tabpanel');
    const transcript = panel.locator('.log');
    await transcript.locator('.msg-consumer', {hasText: 'I want to talk to a person'}).waitFor();
    assert.ok(await transcript.locator('.msg-bot').count() >= 2, 'the bot\'s turns are in the transcript');
    await transcript.locator('.msg-consumer', {hasText: label}).waitFor();

    // The visitor learns that alice joined.
    await log.locator('.msg-system', {hasText: /joined/i}).waitFor();
    await chat.locator('#status', {hasText: 'Chatting with Alice'}).waitFor();
    assert.equal(await chat.locator('#waiting').isVisible(), false);

    // ---- both ways ----
    const reply = panel.getByLabel('Message', {exact: true});
    await reply.fill('Hi, this is Alice');
    await chat.locator('#typing', {hasText: /Alice.* is typing/}).waitFor();
    await reply.fill('Hi, this is Alice. How can I help?');
    await panel.getByRole('button', {name: 'Send'}).click();
    await log.locator('.msg-agent', {hasText: 'How can I help?'}).waitFor();
    await chat.locator('#typing:empty').waitFor({state: 'attached'}); // her message ends her typing

    await input.fill('My back tyre');
    await panel.locator('.typing', {hasText: 'is typing'}).waitFor();
    await input.fill('My back tyre is flat');
    await input.press('Enter');
    await transcript.locator('.msg-consumer', {hasText: 'My back tyre is flat'}).waitFor();
    // alice has the chat on screen: the visitor sees "Seen" under the message.
    await log.locator('.msg-consumer', {hasText: 'My back tyre is flat'}).locator('.msg-seen').waitFor();
    await shot(visitor, '4-talking');
    await shot(agent, '5-talking');

    // No message twice, none missing, in order.
    const seqs = await shownSeqs(log);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, seqs.length);

    // ---- alice ends the chat ----
    await panel.getByRole('button', {name: 'End chat'}).click();
    await panel.locator('.panel-state', {hasText: 'Ended'}).waitFor();
    await chat.locator('#ended', {hasText: 'This chat has ended.'}).waitFor();
    await chat.locator('#status', {hasText: 'Chat ended'}).waitFor();
    assert.equal(await chat.locator('#composer').isVisible(), false);
    await chat.getByRole('group', {name: 'How was this chat?'}).waitFor(); // the survey (its own test below)
    await shot(visitor, '6-ended');
    await shot(agent, '7-ended');

    const frame = visitor.frames().find((f) => f.url().startsWith(`${srv.url}/widget`));
    const stored = await frame.evaluate(() => JSON.parse(localStorage.getItem('switchboard.chat.harbor-web')));
    const th = await api(srv.url, 'GET', `/v1/chat/threads/${stored.threadId}`, {apiKey: DEMO_API_KEY});
    assert.equal(th.status, 200, th.text);
    assert.equal((th.json.thread ?? th.json).state, 'ended');

    // A new chat starts afresh with the bot's greeting.
    await chat.getByRole('button', {name: 'Start a new chat'}).click();
    await chat.locator('#composer').waitFor();
    await log.locator('.msg-bot').first().waitFor();
    assert.equal(await log.locator('.msg-agent').count(), 0);
    const again = await frame.evaluate(() => JSON.parse(localStorage.getItem('switchboard.chat.harbor-web')));
    assert.notEqual(again.threadId, stored.threadId);

    // Escape closes the frame and gives the focus back to the launcher.
    await chat.getByLabel('Message', {exact: true}).press('Escape');
    await visitor.waitForFunction(() => {
        const root = document.querySelector('.switchboard-chat').shadowRoot;
        return root.getElementById('panel').hidden && root.activeElement === root.getElementById('launcher');
    });
    assert.equal(await launcher.getAttribute('aria-expanded'), 'false');

    assert.deepEqual(errors, []);
});

test('the widget page resumes its thread after a reload and after a server restart, without gaps or repeats',
     async (t) => {
         const browser = await launch(t);
         const dataDir = makeTempDir(t, 'sb-browser-');
         const configText = demoConfigText();
         let srv = await useServer(t, {configText, dataDir});
         await everyoneUnavailable(srv.url);
         const errors = [];
         const page = await newPage(browser, errors);
         const log = page.locator('#log');
         const input = page.getByLabel('Message', {exact: true});

         await page.goto(`${srv.url}/widget?widget=harbor-web`);
         await log.locator('.msg-bot').first().waitFor();
         await input.fill('hello there');
         await input.press('Enter');
         await log.locator('.msg-consumer', {hasText: 'hello there'}).waitFor();
         await log.locator('.msg-consumer + .msg-bot').first().waitFor();
         const before = await shownSeqs(log);
         const stored = await page.evaluate(() => localStorage.getItem('switchboard.chat.harbor-web'));

         // A reload shows the same thread, every message once.
         await page.reload();
         await log.locator('.msg-consumer', {hasText: 'hello there'}).waitFor();
         await page.waitForFunction((n) => document.querySelectorAll('#log li[data-seq]').length >= n, before.length);
         assert.deepEqual(await shownSeqs(log), before);
         assert.equal(await page.evaluate(() => localStorage.getItem('switchboard.chat.harbor-web')), stored);

         // The server goes away and comes back on the same address.
         const port = srv.port;
         await srv.stop();
         await page.locator('#connection', {hasText: 'Reconnecting'}).waitFor();
         srv = await useServer(t, {configText, dataDir, args: ['--http', `127.0.0.1:${port}`]});
         await page.locator('#connection').waitFor({state: 'hidden'});

         // What happens after the reconnect arrives, once and in order.
         await input.fill('I want to talk to a person');
         await input.press('Enter');
         await page.locator('#status', {hasText: 'Waiting for an agent'}).waitFor();
         const seqs = await shownSeqs(log);
         assert.deepEqual(seqs.slice(0, before.length), before);
         assert.deepEqual(seqs, seqs.map((_, i) => i + 1), `seqs shown: ${seqs}`);
         await shot(page, '8-resumed');
         assert.deepEqual(errors, []);
     });

test('nobody answers: the visitor leaves a message, and alice reads it in the left-messages list', async (t) => {
    const browser = await launch(t);
    const srv = await useServer(t, {configText: demoConfigText()});
    await everyoneUnavailable(srv.url);
    const w = await api(srv.url, 'PUT', '/v1/chat/widgets/harbor-web', {apiKey: DEMO_API_KEY, body: {
        id: 'harbor-web', title: 'Harbor Cycles', bot: 'harbor-assistant', queue: 'support',
        noAnswerSeconds: 5, wrapUpSeconds: 0,
    }});
    assert.equal(w.status, 200, w.text);
    const errors = [];
    const page = await newPage(browser, errors);
    const log = page.locator('#log');
    const input = page.getByLabel('Message', {exact: true});

    await page.goto(`${srv.url}/widget?widget=harbor-web&name=Ann`);
    await log.locator('.msg-bot').first().waitFor();
    await page.getByRole('button', {name: 'Talk to a person'}).click();
    await page.locator('#status', {hasText: 'Waiting for an agent'}).waitFor();

    // After noAnswerSeconds the server offers to take a message.
    await page.getByRole('button', {name: 'Leave a message'}).click();
    await page.locator('#waiting-text', {hasText: 'Write your message below'}).waitFor();
    await input.fill('Please call me back about my order: ann@example.com');
    await input.press('Enter');
    await page.locator('#ended', {hasText: 'your message has been left'}).waitFor();
    assert.equal(await page.locator('#composer').isVisible(), false);
    await shot(page, '9-message-left');

    // alice finds it under Left messages and reads it (read only).
    const agent = await newPage(browser, errors);
    await agent.goto(`${srv.url}/agent`);
    await agent.getByLabel('Name').fill('alice');
    await agent.getByLabel('Password').fill('demo-alice');
    await agent.getByRole('button', {name: 'Sign in'}).click();
    const left = agent.locator('#left li', {hasText: 'Ann'});
    await left.waitFor();
    await left.getByRole('button', {name: 'Read'}).click();
    const panel = agent.getByRole('tabpanel');
    await panel.locator('.log .msg-consumer', {hasText: 'ann@example.com'}).waitFor();
    await panel.locator('.panel-state', {hasText: 'Message left'}).waitFor();
    assert.equal(await panel.getByLabel('Message', {exact: true}).isDisabled(), true);
    await shot(agent, '10-left-messages');
    assert.deepEqual(errors, []);
});

test('after the chat the visitor rates it once, by keyboard; the answer holds across a reload', async (t) => {
    const browser = await launch(t);
    const srv = await useServer(t, {configText: demoConfigText()});
    const errors = [];
    const page = await newPage(browser, errors);
    await page.goto(`${srv.url}/widget?widget=harbor-web`);
    await page.locator('#log .msg-bot').first().waitFor();
    await page.getByRole('button', {name: 'End chat'}).click();
    await page.locator('#status', {hasText: 'Chat ended'}).waitFor();
    const stars = page.getByRole('group', {name: 'How was this chat?'});
    await stars.waitFor();

    // Sending without a score says what is missing; the stars by keyboard.
    await page.getByRole('button', {name: 'Send feedback'}).click();
    await page.locator('#survey-error', {hasText: 'Choose from 1 to 5 stars'}).waitFor();
    await page.getByRole('radio', {name: '2 stars: poor'}).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('radio', {name: '4 stars: good'}).isChecked(), true);
    assert.equal(await page.locator('.rating label.on').count(), 4);
    await page.getByLabel('Anything to add? (optional)').fill('Quick answers, thanks');
    await shot(page, '11-survey');
    await page.getByRole('button', {name: 'Send feedback'}).click();
    await page.locator('#survey-thanks', {hasText: 'Thank you for your feedback.'}).waitFor();
    assert.equal(await page.locator('#survey').isVisible(), false);

    // Once: a reload shows the thanks, not the survey.
    await page.reload();
    await page.locator('#status', {hasText: 'Chat ended'}).waitFor();
    await page.locator('#survey-thanks').waitFor();
    assert.equal(await page.locator('#survey').isVisible(), false);
    await shot(page, '12-survey-answered');

    // The answer is in today's satisfaction (a chat that never reached a queue).
    const sat = await api(srv.url, 'GET', '/v1/reports/satisfaction', {apiKey: DEMO_API_KEY});
    assert.equal(sat.status, 200, sat.text);
    const row = sat.json.rows.find((r) => r.channel === 'chat');
    assert.ok(row, JSON.stringify(sat.json.rows));
    assert.equal(row.responses, 1);
    assert.equal(row.avgScore, 4);
    assert.deepEqual(errors, []);
});
