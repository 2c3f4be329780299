// `cargo xtask screenshots`: every route at phone and desktop widths, light and
// dark, against the real server, into screenshots/ (git-ignored).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, newPage, ROOT, SEED_SLUG, startServer } from './harness.mjs';

const routes = {
  home: '/',
  articles: '/articles',
  'articles-tag': '/articles?tag=api',
  'articles-search': '/articles?q=oauth',
  article: `/articles/${SEED_SLUG}`,
  'article-code': '/articles/rest-is-not-just-using-http-here-is-what-it-actually-means',
  'article-images': '/articles/oauth-is-confusing-until-you-understand-what-problem-it-actually-solves',
  services: '/services',
  contact: '/contact',
  'contact-errors': '/contact#errors',
  'not-found': '/no-such-page',
  playground: '/embed/',
  'playground-contact': '/embed/#contact',
};
// `cargo xtask screenshots playground` (or `node screenshots.mjs playground`):
// only the routes whose names start with one of the words given.
const only = process.argv.slice(2);
for (const name of Object.keys(routes)) {
  if (only.length && !only.some((w) => name.startsWith(w))) delete routes[name];
}
const out = join(ROOT, 'screenshots');
mkdirSync(out, { recursive: true });
const server = await startServer();
const browser = await launchBrowser();
try {
  for (const [name, path] of Object.entries(routes)) {
    for (const width of [375, 1280]) {
      for (const scheme of ['light', 'dark']) {
        const page = await newPage(browser, { width, height: width < 500 ? 812 : 900, colorScheme: scheme });
        await page.goto(server.url + path);
        await page.waitForSelector('#page-title');
        await page.waitForLoadState('networkidle');
        if (path.endsWith('#errors')) {
          await page.fill('#email', 'not-an-email');
          await page.click('button[type=submit]');
        }
        if (path.startsWith('/embed/')) {
          // The live widget, as the options ask: in its frame, or inline.
          if (path.endsWith('#contact')) {
            await page.selectOption('#pg-view', 'contact');
            await page.selectOption('#pg-mode', 'inline');
            await page.fill('#pg-name', 'Ada Lovelace');
            await page.press('#pg-name', 'Tab');
          }
          await page.waitForFunction(() => document.querySelector('.playground-preview [data-keel-embed]')?.keel?.ready, null, { timeout: 20000 });
          await page.waitForTimeout(500);
        }
        // Lazy images load as they near the viewport: scroll the page through
        // once, so the full-page shot shows them as a reader would.
        await page.evaluate(async () => {
          for (let y = 0; y < document.body.scrollHeight; y += innerHeight / 2) {
            scrollTo(0, y);
            await new Promise((r) => setTimeout(r, 50));
          }
          scrollTo(0, 0);
        });
        await page.waitForFunction(() => [...document.images].every((i) => i.complete));
        const file = join(out, `${name}-${width}-${scheme}.png`);
        await page.screenshot({ path: file, fullPage: true });
        if (page.errors.length) console.error(`${name}: ${page.errors.join('; ')}`);
        await page.context().close();
      }
    }
    console.log(`screenshots/${name}-{375,1280}-{light,dark}.png`);
  }
} finally {
  await browser.close();
  await server.stop();
}
