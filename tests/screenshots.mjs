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
  services: '/services',
  contact: '/contact',
  'contact-errors': '/contact#errors',
  'not-found': '/no-such-page',
};
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
