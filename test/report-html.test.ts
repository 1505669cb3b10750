import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { audit } from '../src/engine/audit.js';
import { renderHtml } from '../src/report/html.js';
import { SERVICES_REPO, tempRepo } from './golden/repos.js';

/** Debian's chromium package; .ci/run installs it when missing. */
const CHROMIUM = process.env.SHIPREADY_CHROMIUM ?? '/usr/bin/chromium';
const chromiumMissing = existsSync(CHROMIUM) ? false : `chromium not found at ${CHROMIUM} (apt-get install chromium, or set SHIPREADY_CHROMIUM)`;

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

test('the HTML report is one self-contained file: no scripts, no external resources, escaped content', async () => {
  const repo = tempRepo('fleet', { ...SERVICES_REPO, 'services/x/Dockerfile': 'FROM node:20 AS <script>alert(1)</script>\n' });
  try {
    const html = renderHtml(await audit(repo.root, { config: false }));
    assert.ok(!/<script/i.test(html), 'no script element, even from audited content');
    assert.ok(!/\b(src|href)=["']?(https?:)?\/\//i.test(html), 'nothing loaded from the network');
    assert.ok(!/@import|url\(/i.test(html), 'no stylesheet imports or remote fonts');
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /@media print/);
  } finally {
    repo.cleanup();
  }
});

test('the HTML report renders in headless Chromium with its findings visible', { skip: chromiumMissing }, async () => {
  const repo = tempRepo('fleet', SERVICES_REPO);
  const out = mkdtempSync(join(tmpdir(), 'shipready-html-'));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  try {
    const result = await audit(repo.root, { config: false });
    const file = join(out, 'report.html');
    writeFileSync(file, renderHtml(result));
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href);

    assert.equal((await page.locator('#gate').textContent())?.trim(), result.gate.status);
    assert.match((await page.locator('#score').innerText()).replace(/\s/g, ''), new RegExp(`^${result.gate.score}/100$`));
    const cards = page.locator('article.finding');
    assert.equal(await cards.count(), result.findings.length);
    for (const f of result.findings) {
      const card = page.locator(`article.finding[data-fingerprint="${f.fingerprint}"]`);
      assert.ok(await card.isVisible(), `${f.ruleId} ${f.file} is not visible`);
      const text = await card.innerText();
      assert.ok(text.includes(f.message), `card shows the message: ${text}`);
      assert.ok(text.includes(`Fix: ${f.fix}`), 'card shows the fix');
      if (f.file && f.line) assert.ok(text.includes(`${f.file}:${f.line}`), 'card shows file:line');
    }
    // The code excerpt highlights the offending line of the api Dockerfile (its final FROM, line 8).
    const api = result.findings.find((f) => f.file === 'services/api/Dockerfile' && f.ruleId === 'docker/runs-as-root')!;
    const hit = page.locator(`article.finding[data-fingerprint="${api.fingerprint}"] pre.code .ln.hit`);
    assert.match((await hit.innerText()).trim(), /^8\s*FROM node:20-alpine$/);
    const rows = await page.locator('#areas tbody tr').allInnerTexts();
    assert.ok(rows.some((r) => r.startsWith('Dockerfiles') && r.includes('Must fix')), rows.join('\n'));
    assert.deepEqual(requests, [], 'the page made no network request');

    const screenshot = join(out, 'report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.ok(statSync(screenshot).size > 10_000, 'a real screenshot was written');
    const pdf = join(out, 'report.pdf');
    await page.pdf({ path: pdf, format: 'A4' });
    assert.ok(statSync(pdf).size > 5_000, 'the page prints');
  } finally {
    await browser.close();
    repo.cleanup();
    rmSync(out, { recursive: true, force: true });
  }
});
