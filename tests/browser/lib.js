// What the browser tests share: Debian's Chromium driven by playwright-core
// (SB_CHROMIUM names another), pages that fail the test on an uncaught
// error in their scripts, and screenshots in build/screenshots/
// (SB_SCREENSHOTS for another folder).
import {existsSync, mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {chromium} from 'playwright-core';
import {REPO} from '../integration/lib/server.js';

export const CHROMIUM = process.env.SB_CHROMIUM || '/usr/bin/chromium';
export const SHOTS = process.env.SB_SCREENSHOTS || join(REPO, 'build/screenshots');
/* Sanitizer builds are slow: every wait is generous. */
export const WAIT_MS = Number(process.env.SB_BROWSER_TIMEOUT_MS || 20000);

if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/install-deps does)`);
mkdirSync(SHOTS, {recursive: true});

export async function launch(t) {
    const browser = await chromium.launch({executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true});
    t.after(() => browser.close());
    return browser;
}

/* A page that fails the test on an uncaught error in its scripts. */
export async function newPage(browser, errors, {viewport = {width: 1280, height: 800}, acceptDownloads} = {}) {
    const context = await browser.newContext({viewport, acceptDownloads});
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.stack || err.message}`));
    return page;
}
