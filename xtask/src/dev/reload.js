// cargo xtask dev: added to every page by the dev server (never by the
// build). Listens to the build's state (Server-Sent Events): after a good
// build the page reloads where it was scrolled to; while the latest build
// has failed, its problems cover the page, each with file and line.
(() => {
  const script = document.currentScript;
  const pageBuild = script ? script.dataset.keelDevBuild : '';
  const here = () => location.pathname + location.search;
  const SCROLL = 'keel-dev-scroll';

  // Back to where the writer was. The app restores scroll itself on
  // back/forward only, and may scroll when it starts: restore after it too.
  try {
    const saved = JSON.parse(sessionStorage.getItem(SCROLL) || 'null');
    sessionStorage.removeItem(SCROLL);
    if (saved && saved.path === here()) {
      const restore = () => scrollTo(0, saved.y);
      addEventListener('DOMContentLoaded', restore);
      addEventListener('load', restore);
      addEventListener('TrunkApplicationStarted', () => setTimeout(restore));
    }
  } catch { /* storage off: reload at the top */ }

  const reload = () => {
    try { sessionStorage.setItem(SCROLL, JSON.stringify({ path: here(), y: scrollY })); } catch { /* top */ }
    location.reload();
  };

  // The problems, as text nodes only (never markup).
  const list = (problems) => {
    const ul = document.createElement('ul');
    ul.id = 'keel-dev-problems';
    Object.assign(ul.style, { margin: '0', padding: '0 0 0 1.25rem' });
    for (const p of problems) {
      const li = document.createElement('li');
      Object.assign(li.style, { margin: '.5rem 0', whiteSpace: 'pre-wrap' });
      if (p.place) {
        const code = document.createElement('code');
        code.textContent = p.place;
        Object.assign(code.style, { fontWeight: 'bold' });
        li.append(code, ' ');
      }
      li.append(p.message);
      ul.append(li);
    }
    return ul;
  };

  let overlay = null;
  const show = (problems) => {
    // The dev server's own error page lists them already; keep it current.
    const own = document.getElementById('keel-dev-problems');
    if (own && !overlay) { own.replaceWith(list(problems)); return; }
    overlay?.remove();
    overlay = document.createElement('div');
    overlay.id = 'keel-dev-overlay';
    overlay.setAttribute('role', 'alert');
    Object.assign(overlay.style, {
      position: 'fixed', inset: '0', zIndex: '2147483647', overflow: 'auto', boxSizing: 'border-box',
      padding: '2rem', background: 'rgba(20, 20, 20, .94)', color: '#fff',
      font: '15px/1.5 ui-monospace, SFMono-Regular, Menlo, monospace',
    });
    const title = document.createElement('h2');
    title.textContent = `The build failed: ${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    Object.assign(title.style, { font: 'bold 20px/1.3 system-ui, sans-serif', margin: '0 0 1rem', color: '#ff8a80' });
    const note = document.createElement('p');
    note.textContent = 'Under this is the last good build (Escape shows it). Fix the problem and save: the page reloads by itself.';
    Object.assign(note.style, { margin: '1rem 0 0', opacity: '.8' });
    overlay.append(title, list(problems), note);
    document.body.append(overlay);
  };

  addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && overlay) { overlay.remove(); overlay = null; }
  });

  const onState = (e) => {
    const state = JSON.parse(e.data);
    if (state.build && state.build !== pageBuild) return reload();
    if (state.problems.length) return show(state.problems);
    overlay?.remove();
    overlay = null;
  };
  // Only a tab on screen listens: over HTTP/1.1 a browser opens about six
  // connections to one server, and an event stream holds one for good, so
  // background tabs give theirs back. Back on screen, the first message
  // tells the tab whether it is behind.
  let events = null;
  const listen = () => {
    if (document.hidden) {
      events?.close();
      events = null;
    } else if (!events) {
      events = new EventSource('/_dev/events');
      events.onmessage = onState;
    }
  };
  document.addEventListener('visibilitychange', listen);
  listen();
})();
