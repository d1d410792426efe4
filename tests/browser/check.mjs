// Opens every HTML file under a folder in headless Chromium (Debian's, at
// CHROMIUM or /usr/bin/chromium) and prints one JSON line per file: the
// console errors and page errors it raised, and axe-core's serious and
// critical violations. Requests leaving file:// are answered with an empty
// image, so that pages linking the Wayback Machine render offline.
// With SCREENSHOTS=dir, a screenshot of each file named in SHOTS
// (comma-separated, relative to the folder) is written there.
//
// usage: node check.mjs FOLDER
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');
const root = path.resolve(process.argv[2]);
const files = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.html')) files.push(p);
  }
})(root);
files.sort();

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files'],
});
const shots = (process.env.SHOTS || '').split(',').filter(Boolean);
try {
  for (const file of files) {
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 900 });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.setRequestInterception(true);
    page.on('request', (r) => {
      if (r.url().startsWith('file:')) r.continue();
      else r.respond({ status: 200, contentType: 'image/png', body: PNG });
    });
    await page.goto('file://' + file, { waitUntil: 'load' });
    await page.addScriptTag({ path: axePath });
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.html) }));
    });
    const rel = path.relative(root, file);
    if (process.env.SCREENSHOTS && shots.includes(rel)) {
      const out = path.join(process.env.SCREENSHOTS, rel.replaceAll('/', '_').replace(/\.html$/, '.png'));
      await page.screenshot({ path: out, fullPage: false });
    }
    console.log(JSON.stringify({ file: rel, errors, violations }));
    await page.close();
  }
} finally {
  await browser.close();
}
