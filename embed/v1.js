/*! Keel embed loader, version 1. Documentation: docs/embedding.md */
// One <script async src="https://keel.example/embed/v1.js"></script> and a
// placeholder per widget:
//   <div data-keel-embed="articles" data-keel-count="3" data-keel-tag="rust"></div>
//   <div data-keel-embed="article" data-keel-slug="some-article"></div>
//   <div data-keel-embed="contact" data-keel-mode="inline" data-keel-theme="dark"
//        data-keel-accent="#0b57a4" data-keel-email="ada@example.com"
//        data-keel-source="spring-newsletter"></div>
// The only global it adds is `Keel` ({ version, scan, embedding }). It never
// throws into the host page: a bad attribute or a failed load becomes a
// message in the placeholder and one console warning.
(function () {
  "use strict";
  var w = window, d = document;
  if (w.Keel && w.Keel.version === 1) { w.Keel.scan(); return; }
  if (w.Keel !== undefined) { try { console.warn("Keel embed: the page already has a global named Keel; no widget mounted"); } catch (e) {} return; }

  // Our site is where this script is (origin, and base path if any); the
  // build writes the app's hashed names and, when it has one, the API's origin.
  var me = d.currentScript || d.querySelector('script[src*="/embed/v1.js"]');
  var SITE, ORIGIN, API = "__KEEL_API__", GLUE = "__KEEL_GLUE__", WASM = "__KEEL_WASM__", CSS = "__KEEL_CSS__";
  try {
    SITE = new URL(me.src, location.href).href.replace(/\/embed\/v1\.js([?#].*)?$/, "");
    ORIGIN = new URL(SITE).origin;
  } catch (e) { return; }
  API = API || SITE;

  var VIEWS = { articles: 1, article: 1, contact: 1 };
  var TITLES = { articles: "Latest articles from Keel", article: "An article from Keel", contact: "Contact Keel" };
  // Height reserved before the widget has measured itself, in CSS pixels.
  var RESERVE = { articles: function (n) { return 72 + 104 * n; }, article: function () { return 720; }, contact: function () { return 980; } };
  var NAME = /__KEEL_RE_NAME__/, COLOUR = /__KEEL_RE_COLOUR__/i, COUNT = /__KEEL_RE_COUNT__/, INK = "__KEEL_INK__",
    LINKS = ["__KEEL_LINK_LIGHT__", "__KEEL_LINK_DARK__"], BG = "__KEEL_BG_DARK__",
    // The contact fields a partner may fill in, with their most characters;
    // what none may hold (the message may hold line breaks); the source's rule.
    PREFILL = __KEEL_PREFILL__, HIDDEN = [/__KEEL_RE_HIDDEN__/, /__KEEL_RE_HIDDEN_LINES__/], SOURCE = /__KEEL_RE_SOURCE__/;
  var frames = [], app;

  function attr(el, n) { return (el.getAttribute("data-keel-" + n) || "").trim(); }

  // The text colour that reads best on the accent (white or our dark ink),
  // by WCAG contrast.
  function luminance(hex) {
    if (hex.length == 4) hex = "#" + hex[1] + hex[1] + hex[2] + hex[2] + hex[3] + hex[3];
    var L = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * L[0] + 0.7152 * L[1] + 0.0722 * L[2] + 0.05;
  }
  function inkOn(hex) {
    var L = luminance(hex);
    return 1.05 / L >= L / luminance(INK) ? "#ffffff" : INK;
  }
  // The accent as text, on the light and on the dark background: itself
  // where it reads (WCAG AA, 4.5:1), else our own link colour.
  function textOn(hex) {
    var L = luminance(hex);
    return [1.05 / L >= 4.5 ? hex : LINKS[0], L / luminance(BG) >= 4.5 ? hex : LINKS[1]];
  }

  // The placeholder's settings, or a message saying which one is wrong.
  function settings(el) {
    var s = { view: attr(el, "embed"), mode: attr(el, "mode") || "iframe", theme: attr(el, "theme") || "auto",
      accent: attr(el, "accent"), tag: attr(el, "tag"), slug: attr(el, "slug"), count: attr(el, "count") || "3" };
    if (!VIEWS[s.view]) return 'unknown view "' + s.view + '" (use articles, article or contact)';
    if (s.mode != "iframe" && s.mode != "inline") return 'unknown mode "' + s.mode + '" (use iframe or inline)';
    if (!/^(auto|light|dark)$/.test(s.theme)) return 'unknown theme "' + s.theme + '" (use auto, light or dark)';
    if (s.accent && !COLOUR.test(s.accent)) return 'invalid accent colour "' + s.accent + '" (use #rgb or #rrggbb)';
    if (s.view == "articles" && !COUNT.test(s.count)) return 'invalid count "' + s.count + '" (use 1 to __KEEL_COUNT_MAX__)';
    if (s.tag && !NAME.test(s.tag)) return 'invalid tag "' + s.tag + '"';
    if (s.view == "article" && !NAME.test(s.slug)) return s.slug ? 'invalid article slug "' + s.slug + '"' : "data-keel-slug is missing";
    // The widget's settings for the app, in our iframe's fragment (never sent
    // to a server) or given to it inline: a contact form's prefill and source.
    s.q = new URLSearchParams();
    if (s.view == "contact") {
      for (var k in PREFILL) {
        var v = attr(el, k);
        if (Array.from(v).length > PREFILL[k] || HIDDEN[+(k == "message")].test(v))
          return "invalid data-keel-" + k + " (at most " + PREFILL[k] + " characters, with no control or text-direction characters)";
        if (v) s.q.set(k, v);
      }
      if ((v = attr(el, "source")) && !SOURCE.test(v)) return 'invalid source "' + v + '" (up to __KEEL_SOURCE_MAX__ letters, digits, and . _ : -)';
      if (v) s.q.set("source", v);
    }
    s.count = s.view == "articles" ? +s.count : 3;
    s.path = s.view == "contact" ? "__KEEL_PATH_CONTACT__"
      : s.view == "article" ? "__KEEL_PATH_ARTICLE__" + s.slug
      : s.tag ? "__KEEL_PATH_TAG__" + s.tag : "__KEEL_PATH_ARTICLES__";
    s.url = SITE + s.path;
    return s;
  }

  // Tell the partner's page: a `keel:<type>` event that bubbles from the
  // placeholder, and the latest of each in `el.keel` (docs/embedding.md).
  function emit(el, type, detail) {
    var k = el.keel, h = detail.height;
    if (type == "ready") { if (k.ready) return; k.ready = true; }
    else if (type == "resize") { if (k.height == h) return; k.height = h; }
    else k[type] = detail;
    el.dispatchEvent(new CustomEvent("keel:" + type, { bubbles: true, detail: detail }));
  }

  // A readable message in the placeholder, and one warning in the console.
  function fail(el, message) {
    if (el.keelFailed) return;
    el.keelFailed = true;
    emit(el, "error", { message: message });
    try {
      var p = d.createElement("p"), box = el.shadowRoot || el;
      p.setAttribute("role", "note");
      p.textContent = "This Keel widget could not be shown: " + message + ".";
      while (box.firstChild) box.removeChild(box.firstChild);
      box.appendChild(p);
      console.warn("Keel embed: " + message, el);
    } catch (e) {}
  }

  var UNANSWERED = {};
  function unanswered(s) {
    return "the " + s.view + " view did not answer from " + s.url + " (it does not exist, or this page's origin is not registered with Keel)";
  }

  function important(el, styles) {
    for (var k in styles) el.style.setProperty(k, styles[k], "important");
  }

  function mountFrame(el, s) {
    var f = d.createElement("iframe");
    var hash = s.q;
    hash.set("host", location.origin); hash.set("theme", s.theme); hash.set("count", s.count);
    if (s.accent) { hash.set("accent", s.accent); hash.set("ink", inkOn(s.accent)); hash.set("text", textOn(s.accent)); }
    f.title = TITLES[s.view];
    f.loading = "lazy";
    important(f, { display: "block", width: "100%", "max-width": "100%", border: "0", margin: "0", padding: "0",
      height: RESERVE[s.view](s.count) + "px", "color-scheme": "normal", background: "transparent" });
    var record = { el: el, frame: f, view: s.view, ready: false };
    frames.push(record);
    f.addEventListener("load", function () {
      // An embed view says hello as it loads; a page that is not one (a 404,
      // an error from a proxy) never does.
      setTimeout(function () {
        if (!record.ready) fail(el, unanswered(s));
      }, 2500);
    });
    f.src = s.url + "#" + hash;
    el.replaceChildren(f);
  }

  addEventListener("message", function (e) {
    if (e.origin !== ORIGIN || !e.data || e.data.keel !== 1) return;
    for (var i = 0; i < frames.length; i++) {
      var r = frames[i];
      if (r.frame.contentWindow !== e.source) continue;
      r.ready = true;
      emit(r.el, "ready", {});
      if (e.data.type == "height" && e.data.height > 0) {
        var h = Math.min(Math.ceil(e.data.height), 20000);
        important(r.frame, { height: h + "px" });
        emit(r.el, "resize", { height: h });
      } else if (e.data.type == "error") {
        fail(r.el, String(e.data.message).slice(0, 200));
      } else if (e.data.type == "submitted") {
        emit(r.el, "submitted", { id: String(e.data.id).slice(0, 64), view: r.view });
      }
    }
  });

  // Inline: the app itself, in a shadow root, started when the widget nears
  // the viewport. The host's styles reach nothing inside; ours reach nothing
  // outside (constructed stylesheets, so no <style> element the host's CSP
  // would have to allow).
  function mountInline(el, s) {
    var root;
    try { root = el.attachShadow({ mode: "open" }); } catch (e) { return fail(el, "<" + el.localName + "> cannot hold an inline widget; use a <div>"); }
    var base = new CSSStyleSheet();
    base.replaceSync(":host{all:initial!important;display:block!important;contain:content!important}"
      + "[data-keel-box]{min-height:" + RESERVE[s.view](s.count) + "px}[data-keel-box][data-ready]{min-height:0}");
    root.adoptedStyleSheets = [base];
    var box = d.createElement("div");
    box.setAttribute("data-keel-box", "");
    box.setAttribute("data-keel-count", s.count);
    if (s.theme != "auto") box.setAttribute("data-keel-theme", s.theme);
    if (s.accent) {
      box.style.setProperty("--keel-accent", s.accent); box.style.setProperty("--keel-accent-ink", inkOn(s.accent));
      box.style.setProperty("--keel-accent-text", "light-dark(" + textOn(s.accent) + ")");
    }
    root.append(box);
    box.addEventListener("keel-embed-error", function (e) { fail(el, e.detail); });
    box.addEventListener("keel-submitted", function (e) { emit(el, "submitted", { id: String(e.detail), view: s.view }); });
    var io = new IntersectionObserver(function (entries) {
      if (!entries.some(function (x) { return x.isIntersecting; })) return;
      io.disconnect();
      start().then(function (app) {
        app[1].keel_embed(box, s.path, SITE, API, "" + s.q);
        root.adoptedStyleSheets = [base, app[2]];
        box.setAttribute("data-ready", "");
        emit(el, "ready", {});
        new ResizeObserver(function () { emit(el, "resize", { height: Math.ceil(box.getBoundingClientRect().height) }); }).observe(box);
      }).catch(function (e) {
        fail(el, e === UNANSWERED ? unanswered(s) : "the app did not load from " + SITE + " (" + (e && e.message || e) + ")");
      });
    }, { rootMargin: "600px" });
    io.observe(el);
  }

  // The app's module and wasm, and its stylesheet, fetched once for every
  // inline widget (one constructed sheet, adopted by each shadow root).
  function start() {
    if (!app) {
      // Tells the app not to mount itself into the page.
      w.Keel.embedding = true;
      app = Promise.all([
        // Our API answers only the pages of registered origins (CORS), as
        // our iframes show only in theirs: asked once, before any widget.
        fetch(API + "__KEEL_PATH_SITE__", { credentials: "omit" }).then(function (r) { if (!r.ok) throw UNANSWERED; }, function () { throw UNANSWERED; }),
        import(ORIGIN + GLUE).then(function (glue) {
          return glue.default({ module_or_path: ORIGIN + WASM }).then(function () { return glue; });
        }),
        fetch(ORIGIN + CSS).then(function (r) {
          if (!r.ok) throw new Error("stylesheet: HTTP " + r.status);
          return r.text();
        }).then(function (text) {
          var css = new CSSStyleSheet();
          // Sizes from a 16px root: `rem` would follow the host's <html>.
          css.replaceSync(text.replace(/(\d*\.?\d+)rem\b/g, function (m, n) { return n * 16 + "px"; }));
          return css;
        })
      ]);
    }
    return app;
  }

  function scan() {
    var all = d.querySelectorAll("[data-keel-embed]");
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      if (el.keelMounted) continue;
      el.keelMounted = true;
      el.keel = { ready: false, height: 0 };
      try {
        var s = settings(el);
        if (typeof s == "string") fail(el, s);
        else if (s.mode == "inline") mountInline(el, s);
        else mountFrame(el, s);
      } catch (e) { fail(el, String(e && e.message || e)); }
    }
  }

  w.Keel = { version: 1, scan: scan };
  if (d.readyState == "loading") d.addEventListener("DOMContentLoaded", scan); else scan();
})();
