/*! Keel embed view, inside the partner's iframe. Documentation: docs/embedding.md */
// Runs in our own embed pages (/embed/...), before and without the wasm:
// applies the widget's theme, accent and count from the fragment the loader
// wrote, tells the embedding page its height and any error, and records which
// partner page it is on (for the contact form). It only ever talks to the
// page that embeds it, and only when that page's origin is the one named.
(function () {
  "use strict";
  var d = document, html = d.documentElement;
  if (html.hasAttribute("data-keel-frame") || window.parent === window) return;
  html.setAttribute("data-keel-frame", "");
  var q = new URLSearchParams(location.hash.slice(1));
  var theme = q.get("theme"), accent = q.get("accent"), ink = q.get("ink"), count = q.get("count"), text = (q.get("text") || "").split(",");
  // The widget's theme, not the one our visitor chose on our site.
  if (theme == "light" || theme == "dark") html.setAttribute("data-keel-theme", theme); else html.removeAttribute("data-keel-theme");
  html.style.setProperty("background", "transparent");
  var colour = /__KEEL_RE_COLOUR__/i;
  if (accent && colour.test(accent)) html.style.setProperty("--keel-accent", accent);
  if (ink && colour.test(ink)) html.style.setProperty("--keel-accent-ink", ink);
  // The accent as text on the light and dark backgrounds (the loader's choice).
  if (text.length == 2 && text.every(function (t) { return colour.test(t); })) html.style.setProperty("--keel-accent-text", "light-dark(" + text + ")");
  if (count && /__KEEL_RE_COUNT__/.test(count)) html.setAttribute("data-keel-count", count);

  // The embedding page's origin: as the loader says, when the browser agrees.
  var host = q.get("host"), known = null;
  if (location.ancestorOrigins && location.ancestorOrigins.length) known = location.ancestorOrigins[0];
  else if (d.referrer) try { known = new URL(d.referrer).origin; } catch (e) {}
  if (!host || !/^https?:\/\/[^\/?#]+$/.test(host) || (known && known !== host)) return;
  // Messages go only to `host` (the browser delivers them to nothing else);
  // the contact form names it as its partner only when the browser said so.
  // Our own page (the playground at /embed/) is no partner: its requests are ours.
  var partner = known && host !== location.origin;
  if (partner) html.setAttribute("data-keel-host", host);

  function tell(message) {
    message.keel = 1;
    window.parent.postMessage(message, host);
  }
  tell({ type: "ready" });
  // The form's own fields, for a post made before (or without) the app: the
  // partner's origin and source, and what the partner filled in for the
  // visitor, shown in the empty fields (the app does the same from the fragment).
  var FILL = __KEEL_PREFILL__, HIDDEN = [/__KEEL_RE_HIDDEN__/, /__KEEL_RE_HIDDEN_LINES__/];
  function mark() {
    var field = d.querySelector('input[name="embed_origin"]'), source = d.querySelector('input[name="source"]'), v;
    if (field && partner) field.value = host;
    if (source && (v = q.get("source")) && /__KEEL_RE_SOURCE__/.test(v)) source.value = v;
    for (var k in FILL) {
      field = d.querySelector('form [name="' + k + '"]');
      v = (q.get(k) || "").trim();
      if (field && v && !field.defaultValue && Array.from(v).length <= FILL[k] && !HIDDEN[+(k == "message")].test(v)) field.defaultValue = v;
    }
  }
  var root = d.getElementById("app"), last = 0, failed = false;
  function measure() {
    mark();
    // A view with nothing to show (an unknown article) says so in the page.
    var bad = root.querySelector("[data-keel-error]");
    if (bad && !failed) { failed = true; tell({ type: "error", message: bad.getAttribute("data-keel-error") }); }
    var h = Math.ceil(root.getBoundingClientRect().height);
    if (h && h !== last) { last = h; tell({ type: "height", height: h }); }
  }
  // A contact request the server stored (the app says so): its id, nothing else.
  root.addEventListener("keel-submitted", function (e) { tell({ type: "submitted", id: String(e.detail) }); });
  if (window.ResizeObserver) new ResizeObserver(measure).observe(root);
  new MutationObserver(measure).observe(root, { childList: true, subtree: true });
  measure();
  // The embed views' not-found page, served for a path it does not name: the
  // app says what is missing there (an article, a tag). Without the app (no
  // WebAssembly, a blocked download), this says it did not exist.
  if (root.getAttribute("data-rendered") == "__KEEL_PATH_NOT_FOUND__" && !/__KEEL_RE_NOT_FOUND__(\/|\/index\.html|\.html)?$/.test(location.pathname)) {
    setTimeout(function () {
      if (!failed) { failed = true; tell({ type: "error", message: "there is no embed view at " + location.pathname }); }
    }, 8000);
  }
})();
