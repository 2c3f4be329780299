// `cargo xtask navtiming`: how long a client-side navigation takes, from the
// click to the frame that paints the new page's heading, in real (headless)
// Chromium against the release build and the real server. Two cases:
// - cached: the page's documents are already in the app's cache (visited before);
// - not cached: the documents are fetched after the click (no hover prefetch:
//   the link is clicked from script, so no pointer ever moves over it).
// A report, not a test: it prints medians and ranges.
import { launchBrowser, newPage, startServer } from './harness.mjs';

const ROUNDS = Number(process.env.KEEL_NAV_ROUNDS ?? 10);

/** Click `selector` in the page and resolve with `[dom, frame]`: ms from the
 *  click to the new <h1> in the DOM (the app's work), and to the first
 *  animation frame after that (the frame that paints it). */
async function timedClick(page, selector) {
  return page.evaluate((selector) => new Promise((resolve, reject) => {
    const before = document.querySelector('h1')?.textContent;
    const link = document.querySelector(selector);
    if (!link) return reject(new Error(`no ${selector}`));
    let t0 = 0;
    const watch = new MutationObserver(() => {
      const h1 = document.querySelector('h1');
      if (h1 && h1.textContent !== before) {
        watch.disconnect();
        // The callback runs in the frame that paints the change, just before the paint.
        const dom = performance.now() - t0;
        requestAnimationFrame(() => resolve([dom, performance.now() - t0]));
      }
    });
    watch.observe(document.body, { childList: true, subtree: true, characterData: true });
    link.addEventListener('click', (e) => { t0 = e.timeStamp; }, { once: true, capture: true });
    link.click();
  }), selector);
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return `median ${median.toFixed(1)} ms  (min ${s[0].toFixed(1)}, max ${s[s.length - 1].toFixed(1)}, n=${s.length})`;
};

const server = await startServer();
const browser = await launchBrowser();
try {
  // Cached: Services <-> Articles through the header, after one visit of each.
  const page = await newPage(browser);
  await page.goto(server.url + '/services');
  await timedClick(page, 'header a[href="/articles"]');
  await timedClick(page, 'header a[href="/services"]');
  const cached = [];
  for (let i = 0; i < ROUNDS; i++) {
    cached.push(await timedClick(page, 'header a[href="/articles"]'));
    cached.push(await timedClick(page, 'header a[href="/services"]'));
  }
  // Not cached: a fresh page each round, then an article it has never fetched.
  const fresh = [];
  for (let i = 0; i < ROUNDS; i++) {
    const p = await newPage(browser);
    await p.goto(server.url + '/articles');
    fresh.push(await timedClick(p, 'main .card a[href^="/articles/"]'));
    await p.context().close();
  }
  console.log(`client-side navigation (${ROUNDS} rounds, headless Chromium, loopback server)`);
  console.log('click to heading painted (the frame after the DOM changed):');
  console.log(`  data cached:     ${stats(cached.map((t) => t[1]))}`);
  console.log(`  data not cached: ${stats(fresh.map((t) => t[1]))}`);
  console.log('click to heading in the DOM (the app\'s own work, before waiting for that frame):');
  console.log(`  data cached:     ${stats(cached.map((t) => t[0]))}`);
  console.log(`  data not cached: ${stats(fresh.map((t) => t[0]))}`);
} finally {
  await browser.close();
  await server.stop();
}
