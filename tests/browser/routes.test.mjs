// Every route renders its content from the content files, over the real
// server; in-page links route without a page load; back and forward work.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, startServer, SEED_SLUG } from '../harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

async function open(path) {
  const page = await newPage(browser);
  const res = await page.goto(server.url + path);
  await page.waitForSelector('#page-title');
  return { page, res };
}

describe('routes render their content', () => {
  test('home: the pitch, latest articles and the contact call', async () => {
    const { page } = await open('/');
    assert.match(await page.textContent('h1'), /backend/i);
    assert.equal(await page.locator('main .card').count(), 3);
    assert.ok(await page.isVisible('text=Scale Your Backend'));
    assert.deepEqual(page.errors, []);
  });

  test('articles: all five, newest first, as cards', async () => {
    const { page } = await open('/articles');
    assert.equal(await page.textContent('h1'), 'Articles');
    await page.waitForSelector('main .card');
    const titles = await page.locator('main .card :is(h2, h3)').allTextContents();
    assert.equal(titles.length, 5);
    assert.ok(titles.includes('Why Backend Developers Often Carry the Most Responsibility in a Team'));
    assert.match(await page.title(), /^Articles · Keel$/);
  });

  test('article: title, author, a sentence of the body, table of contents', async () => {
    const { page, res } = await open(`/articles/${SEED_SLUG}`);
    assert.equal(res.status(), 200);
    assert.equal(await page.textContent('h1'), 'Why Backend Developers Often Carry the Most Responsibility in a Team');
    assert.ok(await page.isVisible('text=Arif Ikhsanudin'));
    assert.ok(await page.isVisible('text=If the backend fails, nothing else matters.'));
    assert.equal(await page.locator('.toc-wide li').count(), 5);
    assert.equal(await page.locator('.toc li:visible').count(), 5, 'one table of contents is shown');
    assert.equal(await page.locator('.prose h2#the-invisible-backbone').count(), 1);
    assert.match(await page.title(), /Why Backend Developers/);
    assert.deepEqual(page.errors, []);
  });

  test('article: code blocks are highlighted into spans', async () => {
    const { page } = await open('/articles/rest-is-not-just-using-http-here-is-what-it-actually-means');
    assert.ok((await page.locator('.prose pre').count()) >= 3);
    assert.ok((await page.locator('.prose pre .tok-keyword').count()) > 0);
    assert.ok((await page.locator('.prose table').count()) >= 1);
  });

  test('article: table columns are aligned as the article says', async () => {
    const slug = 'rest-is-not-just-using-http-here-is-what-it-actually-means';
    const { page } = await open('/articles');
    // No bundled article aligns a column: the API's copy of one gets its
    // first table aligned, and the app renders it after a click.
    await page.route(`**/api/v1/articles/${slug}.json`, async (route) => {
      const res = await route.fetch();
      const doc = await res.json();
      doc.body.find((b) => b.t === 'table').align = ['none', 'center', 'right', 'left'];
      await route.fulfill({ response: res, json: doc });
    });
    await page.click(`main .card a[href="/articles/${slug}"]`);
    await page.waitForSelector('.prose table th.align-right');
    const aligned = await page.evaluate(() => [...document.querySelectorAll('.prose table th, .prose table tbody tr:first-child td')]
      .map((c) => getComputedStyle(c).textAlign));
    assert.deepEqual(aligned, ['left', 'center', 'right', 'left', 'left', 'center', 'right', 'left']);
    assert.deepEqual(page.errors, []);
  });

  test('services: the heading, six benefits and the engagement', async () => {
    const { page } = await open('/services');
    assert.equal(await page.textContent('h1'), 'Scale Your Backend');
    assert.equal(await page.locator('.benefits li').count(), 6);
    assert.ok(await page.isVisible('text=Documentation-Driven Development'));
  });

  test('contact: the form and both offices', async () => {
    const { page } = await open('/contact');
    assert.equal(await page.textContent('h1'), 'Tell us about your project');
    assert.ok(await page.isVisible('form.contact-form'));
    assert.ok(await page.isVisible('main >> text=Copenhagen'));
    assert.ok(await page.isVisible('main >> text=12 Jalan Bligo'));
  });

  test('an unknown path: the not-found page with a real 404 status', async () => {
    const { page, res } = await open('/no/such/page');
    assert.equal(res.status(), 404);
    assert.match(await page.textContent('h1'), /could not find/);
    const art = await page.goto(server.url + '/articles/no-such-article');
    assert.equal(art.status(), 404);
  });
});

describe('navigation', () => {
  test('a click routes in place; back and forward work', async () => {
    const { page } = await open('/');
    await page.evaluate(() => { window.__noReload = true; });
    await page.click('header >> text=Services');
    await page.waitForURL(/\/services$/);
    assert.equal(await page.textContent('h1'), 'Scale Your Backend');
    await page.click('header >> text=Articles');
    await page.waitForURL(/\/articles$/);
    await page.waitForSelector('main .card');
    await page.click('main .card >> nth=0 >> :is(h2, h3) a');
    await page.waitForURL(/\/articles\/[a-z0-9-]+$/);
    await page.waitForSelector('article h1');
    assert.equal(await page.evaluate(() => window.__noReload), true, 'no full page load happened');

    await page.goBack();
    await page.waitForURL(/\/articles$/);
    assert.equal(await page.textContent('h1'), 'Articles');
    await page.goBack();
    await page.waitForURL(/\/services$/);
    assert.equal(await page.textContent('h1'), 'Scale Your Backend');
    await page.goForward();
    await page.waitForURL(/\/articles$/);
    assert.equal(await page.textContent('h1'), 'Articles');
    assert.equal(await page.evaluate(() => window.__noReload), true);
    assert.deepEqual(page.errors, []);
  });

  test('links are real hrefs that work with a modifier click', async () => {
    const { page } = await open('/');
    const href = await page.getAttribute('header >> text=Services', 'href');
    assert.equal(href, '/services');
    const [popup] = await Promise.all([
      page.context().waitForEvent('page'),
      page.click('header >> text=Services', { modifiers: ['Control'] }),
    ]);
    await popup.waitForLoadState();
    assert.match(popup.url(), /\/services$/);
    assert.match(page.url(), /\/$/, 'the original tab stayed');
  });

  test('focus moves to the new page heading and the title follows', async () => {
    const { page } = await open('/');
    await page.click('header >> text=Contact');
    await page.waitForURL(/\/contact$/);
    await page.waitForFunction(() => document.activeElement?.id === 'page-title');
    assert.match(await page.title(), /Tell us about your project/);
  });

  test('screen readers hear the new page title', async () => {
    const { page } = await open('/');
    const live = page.locator('[role=status][aria-live=polite]');
    assert.equal(await live.textContent(), '', 'the first load is no navigation');
    for (const [link, title] of [['Services', /^Scale Your Backend · Keel$/], ['Contact', /^Tell us about your project · Keel$/]]) {
      await page.click(`header >> text=${link}`);
      await page.waitForFunction(() => document.activeElement?.id === 'page-title');
      assert.match(await live.textContent(), title);
      assert.equal(await live.textContent(), await page.title());
    }
  });

  test("the index's title names its tag, and a click on a tag is announced", async () => {
    const { page } = await open('/articles');
    await page.waitForSelector('.tags a.tag >> nth=1');
    const tag = (await page.getAttribute('.tags a.tag >> nth=1', 'href')).match(/tag=([^&]+)/)[1];
    await page.click('.tags a.tag >> nth=1');
    await page.waitForURL(/tag=/);
    const title = `Articles tagged “${decodeURIComponent(tag)}” · Keel`;
    await page.waitForFunction((t) => document.title === t, title);
    await page.waitForFunction((t) => document.querySelector('[role=status][aria-live=polite]').textContent === t, title);
    await page.goBack();
    await page.waitForFunction(() => document.title === 'Articles · Keel');
  });

  test('an article that arrives after the navigation is announced by its own title', async () => {
    const { page } = await open('/contact');
    // The article is not in the cache, and its document is slow.
    await page.route(`**/api/v1/articles/${SEED_SLUG}.json`, async (route) => {
      await new Promise((r) => setTimeout(r, 700));
      await route.continue();
    });
    await page.click('header >> text=Articles');
    await page.waitForSelector('main .card');
    await page.click(`main a[href="/articles/${SEED_SLUG}"] >> nth=0`);
    await page.waitForSelector('article h1');
    const live = page.locator('[role=status][aria-live=polite]');
    await page.waitForFunction(() => /Why Backend Developers/.test(document.querySelector('[role=status][aria-live=polite]').textContent));
    assert.equal(await live.textContent(), await page.title());
  });
});

describe('the router, at its edges', () => {
  test('after a table-of-contents link, the next link still starts at the top', async () => {
    const { page } = await open('/');
    await page.evaluate(() => { window.scrollTo(0, 1000); });
    await page.waitForFunction(() => window.scrollY > 500);
    // Leaving home from down the page: the scroll memory keeps where.
    await page.evaluate(() => document.querySelector('footer a[href="/contact"]').click());
    await page.waitForURL(/\/contact$/);
    await page.click('header >> text=Articles');
    await page.click(`main a[href="/articles/${SEED_SLUG}"] >> nth=0`);
    await page.waitForSelector('.toc-wide a');
    await page.click('.toc-wide a >> nth=1');
    await page.waitForURL(/#/);
    await page.click('header .brand');
    await page.waitForURL(/\/$/);
    await page.waitForFunction(() => document.activeElement?.id === 'page-title');
    assert.equal(await page.evaluate(() => window.scrollY), 0);
  });

  test('a link to the page shown adds no history entry', async () => {
    const { page } = await open('/services');
    const length = await page.evaluate(() => history.length);
    await page.click('header >> text=Services');
    await page.waitForFunction(() => document.activeElement?.id === 'page-title');
    assert.equal(await page.evaluate(() => history.length), length);
  });

  test("a folder's index.html is its page, also once the app runs", async () => {
    for (const [path, heading] of [['/index.html', /backend/i], ['/articles/index.html', /^Articles$/]]) {
      const { page } = await open(path);
      await page.evaluate(() => dispatchEvent(new Event('keel:start')));
      await page.waitForTimeout(300);
      assert.match(await page.textContent('h1'), heading, path);
      assert.doesNotMatch(await page.title(), /not found/i, path);
    }
  });

  test('an article that does not exist is titled and announced as not found', async () => {
    const { page } = await open('/articles/no-such-article');
    await page.waitForFunction(() => /not found/i.test(document.title));
    assert.equal(await page.locator('[role=status][aria-live=polite]').textContent(), '', 'no announcement on the first page');
    // In place (back or forward to it), its document answered 404.
    const { page: other } = await open('/');
    await other.route('**/api/v1/articles/gone-since.json', (r) => r.fulfill({ status: 404, contentType: 'application/json', body: '{"message":"not found"}' }));
    await other.evaluate(() => { history.pushState(null, '', '/articles/gone-since'); dispatchEvent(new PopStateEvent('popstate')); });
    await other.waitForFunction(() => /not found/i.test(document.querySelector('[role=status][aria-live=polite]').textContent));
    assert.match(await other.title(), /not found/i);
  });

  test('an article rendered afresh on the first page is not announced', async () => {
    // The server has no page for this spelling of the path (a 404), and the
    // app shows the article it names.
    const { page } = await open(`/articles/${SEED_SLUG.replace('y', '%79')}`);
    await page.waitForSelector('article h1');
    await page.waitForTimeout(500);
    assert.equal(await page.locator('[role=status][aria-live=polite]').textContent(), '');
  });
});

describe('a failing backend', () => {
  // Pages arrive prerendered with their data, so these fail the documents a
  // client-side navigation fetches.
  test('shows an error with a retry, and the retry recovers', async () => {
    const page = await newPage(browser);
    let fail = true;
    await page.route('**/api/v1/articles/page/1.json', (route) =>
      fail ? route.fulfill({ status: 503, contentType: 'application/json', body: '{"status":503,"error":"unavailable","message":"Down for maintenance."}' }) : route.continue());
    await page.goto(server.url + '/services');
    await page.waitForSelector('#page-title');
    await page.click('header >> text=Articles');
    await page.waitForSelector('[role=alert]');
    assert.match(await page.textContent('[role=alert]'), /Could not load the articles/);
    assert.match(await page.textContent('[role=alert]'), /Down for maintenance/);
    fail = false;
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.waitForSelector('main .card');
    assert.equal(await page.locator('main .card').count(), 5);
  });

  /** /articles reached from /services, with the documents in `failing`
   * (under /api/v1/) answering 503 after 300 ms: slow enough that the
   * placeholder replaces the error box in between. `seen.answered` counts
   * the requests; take a document out of `failing` to let it through. */
  async function articlesFailing(failing) {
    const page = await newPage(browser);
    const seen = { answered: 0 };
    for (const doc of [...failing]) {
      await page.route(`**/api/v1/${doc}`, async (route) => {
        seen.answered++;
        await new Promise((r) => setTimeout(r, 300));
        return failing.has(doc)
          ? route.fulfill({ status: 503, contentType: 'application/json', body: '{"status":503,"error":"unavailable","message":"Down."}' })
          : route.continue();
      });
    }
    await page.goto(server.url + '/services');
    await page.waitForSelector('#page-title');
    await page.click('header >> text=Articles');
    await page.waitForSelector('[role=alert] button');
    return { page, seen };
  }

  test('a retry that fails again keeps focus on "Try again"', async () => {
    const { page, seen } = await articlesFailing(new Set(['articles/page/1.json']));
    await page.focus('[role=alert] button');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.querySelector('[role=alert]'));
    await page.waitForSelector('[role=alert] button');
    assert.equal(seen.answered, 2);
    await page.waitForFunction(() => document.activeElement?.textContent === 'Try again', null, { timeout: 2000 });
    // Pressed again from there, it tries again, and focus stays.
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.querySelector('[role=alert]'));
    await page.waitForSelector('[role=alert] button');
    await page.waitForFunction(() => document.activeElement?.textContent === 'Try again', null, { timeout: 2000 });
    assert.equal(seen.answered, 3);
  });

  test('a retry takes focus back only while nothing else has it, and only once', async () => {
    const failing = new Set(['articles/page/1.json', 'tags/api/page/1.json']);
    const { page } = await articlesFailing(failing);
    // Pressed, then the visitor moves on while it loads: focus stays where they put it.
    await page.focus('[role=alert] button');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.querySelector('[role=alert]'));
    await page.focus('#search');
    await page.waitForSelector('[role=alert] button');
    await page.waitForTimeout(100);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'search');
    // Pressed again, and this time it works: nothing is left armed for a
    // later failure elsewhere, which gets the usual focus on its heading.
    failing.delete('articles/page/1.json');
    await page.focus('[role=alert] button');
    await page.keyboard.press('Enter');
    await page.waitForSelector('main .card a');
    await page.click('main .tags >> text=api');
    // Even with focus nowhere (on the body) when that failure comes.
    await page.waitForFunction(() => document.activeElement?.id === 'page-title');
    await page.evaluate(() => document.activeElement.blur());
    await page.waitForSelector('[role=alert] button');
    await page.waitForTimeout(100);
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'BODY');
  });

  test('a document that cannot be read is fetched again on retry', async () => {
    // A proxy or captive portal answers 200 with something else.
    const page = await newPage(browser);
    const slug = 'rest-is-not-just-using-http-here-is-what-it-actually-means';
    let fetched = 0;
    let garbage = true;
    await page.route(`**/api/v1/articles/${slug}.json`, (route) => {
      fetched++;
      return garbage ? route.fulfill({ status: 200, contentType: 'application/json', body: '{"oops":1}' }) : route.continue();
    });
    await page.goto(server.url + '/');
    await page.waitForSelector('#page-title');
    await page.click(`main .card a[href="/articles/${slug}"]`);
    await page.waitForSelector('[role=alert]');
    assert.match(await page.textContent('[role=alert]'), /could not read/);
    garbage = false;
    const before = fetched;
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.waitForSelector('article h1');
    assert.equal(fetched, before + 1);
    assert.match(await page.textContent('article h1'), /REST Is Not Just Using HTTP/);
  });

  test('a request that never answers times out into the same retry', async () => {
    const page = await newPage(browser);
    const slug = 'rest-is-not-just-using-http-here-is-what-it-actually-means';
    await page.route(`**/api/v1/articles/${slug}.json`, () => { /* never answer */ });
    await page.goto(server.url + '/');
    await page.waitForSelector('#page-title');
    await page.click(`main .card a[href="/articles/${slug}"]`);
    await page.waitForSelector('[role=alert]', { timeout: 20000 });
    assert.match(await page.textContent('[role=alert]'), /taking too long/);
    await page.unroute(`**/api/v1/articles/${slug}.json`);
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.waitForSelector('article h1');
    assert.match(await page.textContent('article h1'), /REST Is Not Just Using HTTP/);
  });
});
