/*
 * Quartierslotse chat widget — embeddable with one script tag:
 *
 *   <script src="https://chat.stadt.example/widget/quartierslotse.js" defer
 *           data-server="https://bot.stadt.example" data-municipality="Dortmund"
 *           data-color="#00507d" data-privacy-url="/datenschutz"></script>
 *
 * Optional attributes: data-color (primary colour, falls back if contrast < 4.5:1),
 * data-accent-color, data-title, data-retention-days, data-max-chars, data-open ("true"),
 * data-help-phone (who to call when the chat cannot be reached, e.g. "Stadt Dortmund 0231 50-0"),
 * data-timeout (seconds to wait for an answer before saying so, default 30; loading the history
 * and deleting wait at most as long).
 * Vanilla JS, no dependencies, no third-party requests. Everything runs in a shadow root so
 * the city's CSS cannot break it. Speaks the webchat channel contract (channels/webchat.py).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__quartierslotse) return;
  window.__quartierslotse = true;

  var cfg = {
    server: (script.getAttribute("data-server") || "").replace(/\/+$/, ""),
    municipality: script.getAttribute("data-municipality") || "",
    color: script.getAttribute("data-color") || "#004b7c",
    accent: script.getAttribute("data-accent-color") || "#ffd23f",
    title: script.getAttribute("data-title") || "Quartierslotse",
    privacyUrl: script.getAttribute("data-privacy-url") || "",
    retentionDays: parseInt(script.getAttribute("data-retention-days") || "30", 10) || 30,
    maxChars: parseInt(script.getAttribute("data-max-chars") || "1000", 10) || 1000,
    open: script.getAttribute("data-open") === "true",
    helpPhone: (script.getAttribute("data-help-phone") || "").trim().replace(/[.\s]+$/, ""),
    timeout: parseFloat(script.getAttribute("data-timeout")) || 30
  };
  var base = script.src.replace(/[^/]*$/, "");
  var WEBHOOK = cfg.server + "/webhooks/webchat";
  var KEY = "quartierslotse:" + cfg.server + ":" + cfg.municipality + ":";
  var SIZES = [
    { label: "A", name: "normale Schrift", px: 20 },
    { label: "A+", name: "große Schrift", px: 24 },
    { label: "A++", name: "sehr große Schrift", px: 30 }
  ];
  // milliseconds each request may take before the widget gives up and says so
  var POLL_SECONDS = 20;  // the server holds a long poll at most this long (webchat_poll_seconds)
  var WAIT = (cfg.timeout > 0 ? cfg.timeout : 30) * 1000;
  var TIMEOUT = { post: WAIT, history: Math.min(10000, WAIT), remove: Math.min(15000, WAIT),
    poll: POLL_SECONDS * 1000 + Math.min(15000, WAIT) };
  var UNREACHABLE = "Der Chat ist gerade nicht erreichbar. Bitte versuchen Sie es gleich noch einmal." +
    (cfg.helpPhone ? " Oder rufen Sie an: " + cfg.helpPhone + "." : "");
  var HUMAN_PAYLOAD = "/request_human";
  var HUMAN_TITLE = "Mit einem Menschen sprechen";
  var ROLE_LABEL = {
    user: "Sie",
    bot: "Quartierslotse (digitaler Assistent)",
    advisor: "Beraterin/Berater",
    system: "Hinweis"
  };
  var WAITING_TEXT = "Sie warten auf eine Beraterin oder einen Berater. Sie können hier weiter schreiben.";
  var HANDOFF_TEXT = {
    queued: WAITING_TEXT,
    waiting: WAITING_TEXT, // the reminder while queued keeps the banner
    advisor_joined: "Eine Beraterin oder ein Berater ist jetzt für Sie da."
  };

  // ---------- storage (private mode or full storage must not break the widget) ----------
  function load(name, fallback) {
    try {
      var v = window.localStorage.getItem(KEY + name);
      return v === null ? fallback : v;
    } catch (e) { return fallback; }
  }
  function save(name, value) {
    try { window.localStorage.setItem(KEY + name, String(value)); } catch (e) { /* ignore */ }
  }
  function forget(name) {
    try { window.localStorage.removeItem(KEY + name); } catch (e) { /* ignore */ }
  }
  function newSender() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return "w" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  var sender = load("sender", "");
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(sender)) { sender = newSender(); save("sender", sender); }

  // ---------- colours: keep WCAG AA contrast whatever the city configures ----------
  function luminance(hex) {
    var m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
    if (!m) return null;
    var n = parseInt(m[1], 16);
    return [n >> 16, (n >> 8) & 255, n & 255].map(function (c) {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    }).reduce(function (sum, c, i) { return sum + c * [0.2126, 0.7152, 0.0722][i]; }, 0);
  }
  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    if (la === null || lb === null) return 0;
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  var primary = contrast(cfg.color, "#ffffff") >= 4.5 ? cfg.color : "#004b7c";
  var accent = contrast(cfg.accent, "#000000") >= 4.5 ? cfg.accent : "#ffd23f";

  // ---------- DOM helpers ----------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  // Small inline icons (no emoji: many computers have no emoji font; no icon font downloads).
  var ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    speaker: "M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4zM14 3.2v2.1a7 7 0 0 1 0 13.4v2.1a9 9 0 0 0 0-17.6z",
    person: "M12 12a5 5 0 1 0 0-10 5 5 0 0 0 0 10zm0 2c-4 0-9 2-9 6v2h18v-2c0-4-5-6-9-6z",
    close: "M6.4 5L5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z",
    menu: "M3 6h18v2H3zm0 5h18v2H3zm0 5h18v2H3z",
    bin: "M6 19a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z"
  };
  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "icon");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  // Links, e-mail addresses and phone numbers become clickable (text nodes only, no HTML).
  var LINK_RE = new RegExp(
    "(https?:\\/\\/[^\\s<>()]+[^\\s<>().,;:!?])" +                       // 1 web address
    "|([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,})" +                  // 2 e-mail
    "|((?:\\+49[ ]?|\\b0)\\d{2,5}(?:[ /-]?\\d+)+)" +                          // 3 phone number
    "|(\\b(?:116 ?117|116 ?123|112|110|115)\\b(?![.,]\\d))",                 // 4 short service numbers
    "g"
  );
  function linkify(text) {
    var frag = document.createDocumentFragment();
    var last = 0, m;
    LINK_RE.lastIndex = 0;
    while ((m = LINK_RE.exec(text)) !== null) {
      var href = null;
      if (m[1]) href = m[1];
      else if (m[2]) href = "mailto:" + m[2];
      else {
        var digits = m[0].replace(/[^\d+]/g, "");
        if (m[3] && digits.replace("+", "").length < 6) continue;
        href = "tel:" + digits;
      }
      frag.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = el("a", { href: href, text: m[0] });
      if (m[1]) { a.target = "_blank"; a.rel = "noopener noreferrer"; a.appendChild(el("span", { class: "sr", text: " (öffnet ein neues Fenster)" })); }
      if (href.indexOf("tel:") === 0) a.setAttribute("aria-label", "Anrufen: " + m[0]);
      frag.appendChild(a);
      last = m.index + m[0].length;
    }
    frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  // ---------- build the widget ----------
  var host = el("div", { id: "quartierslotse-widget" });
  host.style.setProperty("--ql-primary", primary);
  host.style.setProperty("--ql-accent", accent);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  root.appendChild(el("link", { rel: "stylesheet", href: base + "quartierslotse.css" }));

  var launcherText = el("span", { text: "Fragen? Hier chatten" });
  var launcher = el("button", {
    type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "ql-panel"
  }, [icon("chat"), launcherText]);
  // a reply that arrives while the chat is closed (e.g. from an advisor) is announced
  function setUnread(on) {
    launcher.classList.toggle("unread", on);
    launcherText.textContent = on ? "Neue Nachricht – Chat öffnen" : "Fragen? Hier chatten";
  }

  // visible label first, so the accessible name contains what sighted users see (WCAG 2.5.3)
  var sizeButtons = SIZES.map(function (s, i) {
    return el("button", {
      type: "button", class: "size", "data-size": String(i), "aria-pressed": "false",
      title: s.label + " " + s.name, onclick: function () { setSize(i); }
    }, [s.label, el("span", { class: "sr", text: " " + s.name })]);
  });
  var closeBtn = el("button", {
    type: "button", class: "close", "aria-label": "Chat schließen", title: "Chat schließen",
    onclick: function () { setOpen(false); }
  }, [icon("close"), el("span", { class: "close-text", text: "Schließen" })]);
  // text sizes and deletion live in a small menu: the log keeps the space
  var settingsBtn = el("button", {
    type: "button", class: "settings", "aria-expanded": "false", "aria-controls": "ql-tools",
    onclick: function () { setTools(tools.hidden); }
  }, [icon("menu"), el("span", { text: "Einstellungen" })]);
  // deletion on request: asks inside the widget first (no window.confirm)
  var forgetBtn = el("button", {
    type: "button", class: "forget", "aria-expanded": "false", "aria-controls": "ql-confirm",
    onclick: function () { if (!deleting) (confirmBox.hidden ? askDelete : closeConfirm)(); }
  }, [icon("bin"), el("span", { text: "Gespräch löschen" })]);
  var yesBtn = el("button", { type: "button", class: "danger", text: "Ja, löschen", onclick: deleteConversation });
  var noBtn = el("button", { type: "button", class: "secondary", text: "Abbrechen", onclick: function () { if (!deleting) closeConfirm(); } });
  var confirmBox = el("section", {
    id: "ql-confirm", class: "confirm", role: "alertdialog", "aria-modal": "false",
    "aria-labelledby": "ql-confirm-q", "aria-describedby": "ql-confirm-text", hidden: ""
  }, [
    el("p", { id: "ql-confirm-q", class: "confirm-q", text: "Möchten Sie das ganze Gespräch löschen?" }),
    el("p", { id: "ql-confirm-text", text: "Das kann man nicht rückgängig machen." }),
    el("div", { class: "actions" }, [yesBtn, noBtn])
  ]);
  confirmBox.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { e.stopPropagation(); if (!deleting) closeConfirm(); }  // Escape cancels, the chat stays open
  });
  // the menu lies over the log: the text box, "Senden" and the human button never move (WCAG 3.2.6)
  var tools = el("div", { id: "ql-tools", class: "tools", hidden: "" }, [
    el("div", { class: "sizes", role: "group", "aria-labelledby": "ql-size-label" },
      [el("span", { id: "ql-size-label", class: "size-label", text: "Schriftgröße:" })].concat(sizeButtons)),
    forgetBtn,
    confirmBox
  ]);
  tools.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { e.stopPropagation(); setTools(false); settingsBtn.focus(); }
  });
  var header = el("div", { class: "header" }, [
    el("div", { class: "header-row" }, [
      el("h2", { id: "ql-title", class: "title" }, [cfg.title,
        el("span", { class: "subtitle", text: "Digitaler Assistent" + (cfg.municipality ? " · " + cfg.municipality : "") })]),
      settingsBtn,
      closeBtn
    ])
  ]);
  function setTools(open) {
    if (!open && deleting) return;  // the answer to the deletion comes back into the menu
    tools.hidden = !open;
    settingsBtn.setAttribute("aria-expanded", String(open));
    if (!open && !confirmBox.hidden) closeConfirm(true);
    anchorView();
  }
  // the menu closes when the focus or a tap goes elsewhere: it never covers what has the focus (WCAG 2.4.11)
  function leaveTools(e) {
    if (!tools.hidden && !tools.contains(e.target) && !header.contains(e.target)) setTools(false);
  }

  // the log itself is not a live region: each new answer is announced once by `announcer`
  var log = el("div", { class: "log", role: "log", "aria-live": "off", "aria-label": "Nachrichten" });
  var status = el("div", { class: "status", role: "status", "aria-live": "polite" });
  var announcer = el("div", { class: "sr", "aria-live": "polite" });
  var handoffBanner = el("p", { class: "handoff", hidden: "" });
  var jumpBtn = el("button", { type: "button", class: "jump", hidden: "", onclick: function () { jumpToNewest(); } },
    [el("span", { text: "Zur neuesten Antwort" })]);

  var privacyBtn = el("button", { type: "button", class: "primary big", text: "Einverstanden – Chat beginnen", onclick: acceptPrivacy });
  var privacy = el("section", { class: "privacy", "aria-labelledby": "ql-privacy-title" }, [
    el("h3", { id: "ql-privacy-title", text: "Bevor es losgeht: Ihr Datenschutz" }),
    el("ul", {}, [
      el("li", { text: "Sie schreiben mit einem Computer-Programm, nicht mit einem Menschen." }),
      el("li", { text: "Ihre Nachrichten werden gespeichert, damit wir antworten können. Nach " + cfg.retentionDays + " Tagen werden sie gelöscht." }),
      el("li", { text: "Bitte schreiben Sie keine Krankheiten, Kontonummern oder Passwörter." }),
      el("li", { text: "Wenn Sie es wünschen, liest eine Beraterin oder ein Berater der Stadt mit und antwortet Ihnen." }),
      el("li", { text: "Es gibt keine Werbung und keine Weitergabe an andere Firmen." })
    ]),
    cfg.privacyUrl ? el("p", {}, [el("a", { href: cfg.privacyUrl, text: "Mehr zum Datenschutz" })]) : null,
    privacyBtn
  ]);

  var input = el("textarea", {
    id: "ql-input", class: "input", rows: "2", maxlength: String(cfg.maxChars),
    autocomplete: "off", "aria-describedby": "ql-hint"
  });
  var sendBtn = el("button", { type: "submit", class: "primary send", text: "Senden" });
  var form = el("form", { class: "composer", onsubmit: function (e) { e.preventDefault(); sendTyped(); } }, [
    el("label", { for: "ql-input", class: "label", text: "Ihre Frage" }),
    el("p", { id: "ql-hint", class: "hint", text: "Mit der Eingabetaste senden." }),
    el("div", { class: "row" }, [input, sendBtn])
  ]);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendTyped(); }
  });

  var topics = el("div", { class: "topics", role: "group", "aria-label": "Häufige Themen" });
  var humanBtn = el("button", {
    type: "button", class: "human big", onclick: function () { sendPayload(HUMAN_PAYLOAD, HUMAN_TITLE); }
  }, [icon("person"), el("span", { text: HUMAN_TITLE })]);

  var scroller = el("div", { class: "body", role: "region", "aria-label": "Gesprächsverlauf", tabindex: "0" }, [log, topics, privacy]);
  var panel = el("section", {
    id: "ql-panel", class: "panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "ql-title",
    tabindex: "-1", hidden: ""
  }, [header, tools, handoffBanner, scroller, jumpBtn, status, announcer, form, humanBtn]);
  panel.addEventListener("focusin", leaveTools);
  panel.addEventListener("pointerdown", leaveTools);

  root.appendChild(launcher);
  root.appendChild(panel);
  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") setOpen(false);
    else if (e.key === "Tab" && isModal()) trapTab(e);
  });

  // ---------- full screen on narrow or low screens: then the panel is modal ----------
  var fullScreen = window.matchMedia ? window.matchMedia("(max-width: 600px), (max-height: 500px)") : null;
  // a touch screen: no focus in the text box on opening (the keyboard would cover the chat)
  var touch = { matches: (window.matchMedia && window.matchMedia("(pointer: coarse)").matches) ||
    (navigator.maxTouchPoints || 0) > 0 };
  host.setAttribute("data-touch", String(touch.matches));
  function isModal() { return !panel.hidden && !!fullScreen && fullScreen.matches; }
  function syncModal() { panel.setAttribute("aria-modal", String(isModal())); }
  if (fullScreen && fullScreen.addEventListener) fullScreen.addEventListener("change", syncModal);
  function focusables() {
    return Array.prototype.filter.call(
      panel.querySelectorAll("button, a[href], textarea, input, [tabindex='0']"),
      function (n) { return !n.disabled && n.getClientRects().length > 0; });
  }
  function trapTab(e) {
    var list = focusables();
    if (!list.length) return;
    var first = list[0], last = list[list.length - 1], active = root.activeElement;
    var inside = list.indexOf(active) >= 0 || active === panel || panel.contains(active);
    if (!inside || (e.shiftKey && (active === first || active === panel))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && active === last) { e.preventDefault(); first.focus(); }
  }
  // focus that leaves the modal panel some other way (a click on the page, a screen reader) comes back
  document.addEventListener("focusin", function (e) {
    if (isModal() && e.target !== host) focusInto(panel);
  });
  function focusInto(node) {
    try { node.focus({ preventScroll: true }); } catch (err) { node.focus(); }
  }

  // ---------- state ----------
  var messages = {};      // id -> message
  var pending = [];       // optimistic user bubbles: {text, title, node, floor}
  var titles = {};        // payload -> title (from the bot's buttons)
  titles[HUMAN_PAYLOAD] = HUMAN_TITLE;
  var lastId = 0;
  var epoch = 0;          // grows when the conversation is deleted: late answers are dropped
  var stopPoll = null;    // ends the running long poll (null: none runs)
  var broken = false;     // a request failed: the next success starts the long poll anew
  var deleting = false;   // a deletion request is on its way
  var waiting = 0;
  var latestButtons = null;
  var topicList = [];
  var accepted = load("privacy", "") === "1";
  var restored = false;   // history is not "new"
  var arrived = [];       // answers of the current batch (to scroll to and announce)
  var anchor = null;      // the latest answer: its start is kept at the top of the log
  var following = true;   // false once the user scrolls up to read older messages
  var autoTop = 0;        // scrollTop the widget set itself
  var focusAnswer = false; // a choice button was pressed: the answer takes the focus
  var errorNotice = null;

  // what the user pressed, by message id: the server may store a button by another title
  var PRESSED_MAX = 200;
  var pressed = {};
  try { pressed = JSON.parse(load("pressed", "{}")) || {}; } catch (e) { pressed = {}; }
  function rememberPressed(id, title) {
    pressed[id] = title;
    var ids = Object.keys(pressed).map(Number).sort(function (a, b) { return a - b; });
    ids.slice(0, Math.max(0, ids.length - PRESSED_MAX)).forEach(function (k) { delete pressed[k]; });
    save("pressed", JSON.stringify(pressed));
  }

  function setSize(i) {
    i = Math.max(0, Math.min(SIZES.length - 1, i));
    host.style.setProperty("--ql-font", SIZES[i].px + "px");
    host.setAttribute("data-size", String(i));
    sizeButtons.forEach(function (b, j) { b.setAttribute("aria-pressed", String(i === j)); });
    save("size", i);
    if (typeof scroller !== "undefined") anchorView();
  }

  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.hidden = open;
    syncModal();
    if (open) setUnread(false);
    save("open", open ? "1" : "0");
    if (open) {
      focusInto(!accepted ? privacyBtn : (touch.matches ? panel : input));
      anchorView();
      startPolling();
    } else {
      if (!confirmBox.hidden && !deleting) closeConfirm(true);
      focusInto(launcher);
    }
  }

  function showComposer() {
    privacy.hidden = accepted;
    form.hidden = !accepted;
    topics.hidden = !accepted;
    humanBtn.hidden = false;
    forgetBtn.hidden = !accepted;
  }

  function acceptPrivacy() {
    accepted = true;
    save("privacy", "1");
    showComposer();
    focusInto(touch.matches ? panel : input);
    if (!lastId) post("/greet", null);  // the assistant introduces itself and offers topics
  }

  // ---------- scrolling: the start of the newest answer at the top of the log ----------
  function scrollTo(top) {
    scroller.scrollTop = Math.max(0, top);
    autoTop = scroller.scrollTop;
  }
  function scrollDown() { scrollTo(scroller.scrollHeight); }
  function atBottom() { return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 24; }
  function showAnswer(node) { scrollTo(node.offsetTop - 8); }
  function anchorView() {
    if (anchor && anchor.parentNode === log) showAnswer(anchor); else scrollDown();
  }
  scroller.addEventListener("scroll", function () {
    if (Math.abs(scroller.scrollTop - autoTop) < 2) return;  // the widget's own scrolling
    if (atBottom()) { following = true; jumpBtn.hidden = true; }
    else if (scroller.scrollTop < autoTop - 24) following = false;
  });
  function jumpToNewest() {
    jumpBtn.hidden = true;
    following = true;
    if (!anchor) { scrollDown(); return; }
    showAnswer(anchor);
    focusInto(anchor);
  }

  // called after each batch of messages from the server
  function settle(history) {
    var batch = arrived;
    arrived = [];
    if (!batch.length) return;
    anchor = batch[0];
    if (history || !restored) {  // the history: its newest answer is shown, nothing is announced
      anchor = batch[batch.length - 1];
      if (focusAnswer && !panel.hidden) { focusAnswer = false; focusInto(anchor); }
      return;
    }
    if (following || focusAnswer) { jumpBtn.hidden = true; showAnswer(anchor); }
    else jumpBtn.hidden = false;
    if (focusAnswer && !panel.hidden) {
      focusAnswer = false;
      focusInto(anchor);  // the screen reader reads the focused answer: no second announcement
      return;
    }
    announce(batch.map(function (node) { return node.__spoken; }).join(" "));
  }

  function announce(text) {
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function setStatus(text) { status.textContent = text; }  // stays in the DOM: a live region

  function displayText(msg) {
    if (msg.role !== "user") return msg.text || "";
    if (pressed[msg.id]) return pressed[msg.id];
    var t = msg.text || "";
    if (t.charAt(0) === "/") return titles[t.split("{")[0]] || null;  // intents: show the button title or nothing
    return t;
  }

  // "Pflegegeld bei Pflegegrad 3 …": the first words make each read-aloud button's name unique
  function shortStart(text) {
    var words = text.replace(/\s+/g, " ").trim().split(" ");
    return words.slice(0, 6).join(" ") + (words.length > 6 ? " …" : "");
  }

  function speakButton(text) {
    if (!("speechSynthesis" in window)) return null;
    var btn = el("button", { type: "button", class: "speak", "aria-label": "Antwort vorlesen: " + shortStart(text) },
      [icon("speaker"), el("span", { text: "Vorlesen" })]);
    btn.addEventListener("click", function () {
      var synth = window.speechSynthesis;
      if (btn.getAttribute("aria-pressed") === "true") { synth.cancel(); return; }
      synth.cancel();
      var u = new SpeechSynthesisUtterance(text);
      u.lang = "de-DE";
      u.rate = 0.9;
      var voice = (synth.getVoices() || []).filter(function (v) { return /^de/i.test(v.lang); })[0];
      if (voice) u.voice = voice;
      btn.setAttribute("aria-pressed", "true");
      u.onend = u.onerror = function () { btn.setAttribute("aria-pressed", "false"); };
      synth.speak(u);
    });
    btn.setAttribute("aria-pressed", "false");
    return btn;
  }

  // "hilfreich / nicht hilfreich" under a bot answer; after "nicht hilfreich" an optional text
  var THANKS = "Danke für Ihre Rückmeldung.";
  function rateBox(id) {
    var box = el("div", { class: "rate", role: "group", "aria-label": "War diese Antwort hilfreich?" });
    var note = el("p", { class: "rate-note" });
    var field = el("input", { type: "text", class: "rate-text", id: "ql-rate-" + id, maxlength: "300", autocomplete: "off" });
    var more = el("form", { class: "rate-more", hidden: "", onsubmit: function (e) {
      e.preventDefault();
      send("nicht_hilfreich", field.value.trim(), function () { more.hidden = true; box.__done.focus(); });
    } }, [
      el("label", { class: "rate-label", for: "ql-rate-" + id, text: "Was hat gefehlt? (freiwillig)" }),
      el("div", { class: "row" }, [field, el("button", { type: "submit", class: "primary", text: "Rückmeldung senden" })])
    ]);
    var buttons = [["hilfreich", "hilfreich"], ["nicht_hilfreich", "nicht hilfreich"]].map(function (v) {
      return el("button", { type: "button", class: "rate-btn", "aria-pressed": "false", text: v[1],
        onclick: function () {
          send(v[0], "", function () {
            if (v[0] === "nicht_hilfreich" && more.hidden) {
              more.hidden = false;
              more.scrollIntoView({ block: "nearest" });
            } else if (v[0] === "hilfreich") more.hidden = true;
          });
        } });
    });
    box.__done = buttons[1];
    function send(value, text, then) {
      note.textContent = "";
      request("POST", "/rating", { sender: sender, message_id: id, value: value, text: text,
        municipality: cfg.municipality }, TIMEOUT.post)
        .then(function () {
          buttons.forEach(function (b, i) { b.setAttribute("aria-pressed", String((i === 1) === (value === "nicht_hilfreich"))); });
          note.textContent = THANKS;
          announce(THANKS);
          then();
        }, function (err) {
          note.textContent = err.status === 429 || err.status === 404 ? err.message :
            "Ihre Rückmeldung konnte gerade nicht gespeichert werden. Bitte versuchen Sie es später noch einmal.";
          announce(note.textContent);
        });
    }
    box.appendChild(el("div", { class: "rate-row" }, buttons));
    box.appendChild(note);
    box.appendChild(more);
    return box;
  }

  function bubble(msg, text) {
    var li = el("div", { class: "msg " + msg.role });
    li.appendChild(el("span", { class: "who", text: ROLE_LABEL[msg.role] || "" }));
    li.appendChild(el("p", { class: "text" }, [linkify(text)]));
    if ((msg.role === "bot" || msg.role === "advisor") && text) {
      var s = speakButton(text);
      if (s) li.appendChild(s);
    }
    if (msg.rateable && msg.role === "bot" && typeof msg.id === "number") li.appendChild(rateBox(msg.id));
    li.__spoken = (ROLE_LABEL[msg.role] || "") + ": " + text;
    return li;
  }

  // the permanent "Mit einem Menschen sprechen" button is never repeated among the choices
  function withoutHuman(buttons) {
    return (buttons || []).filter(function (b) { return b && b.payload !== HUMAN_PAYLOAD && b.title; });
  }

  function renderButtons(buttons) {
    buttons = withoutHuman(buttons);
    if (latestButtons) latestButtons.remove();
    latestButtons = null;
    if (!buttons || !buttons.length) { syncTopics(); return; }
    latestButtons = el("div", { class: "choices" }, [
      el("div", { role: "group", "aria-label": "Antwort auswählen" }, buttons.map(function (b) {
        return el("button", { type: "button", class: "choice", text: b.title,
          onclick: function () { focusAnswer = true; sendPayload(b.payload, b.title); } });
      }))
    ]);
    latestButtons.__buttons = buttons;
    log.appendChild(latestButtons);
    syncTopics();
  }

  function samePayloads(a, b) {
    return a.length === b.length && a.every(function (x, i) { return x.payload === b[i].payload; });
  }
  function syncTopics() {
    // the topic row is not shown twice: hidden while the bot's latest buttons are the same
    var offered = latestButtons ? (latestButtons.__buttons || []) : [];
    topics.classList.toggle("dup", samePayloads(offered, topicList));
  }

  function updateTopics(buttons) {
    // the first set of buttons the bot offers (its main topics) stays available below the chat
    buttons = withoutHuman(buttons);
    if (topics.childNodes.length || !buttons.length) return;
    topicList = buttons;
    buttons.forEach(function (b) {
      topics.appendChild(el("button", { type: "button", class: "topic", text: b.title,
        onclick: function () { sendPayload(b.payload, b.title); } }));
    });
    save("topics", JSON.stringify(buttons));
    syncTopics();
  }

  // the server's copy of a message this widget sent: the optimistic bubble becomes it
  function matchPending(msg) {
    for (var i = 0; i < pending.length; i++) {
      if (pending[i].text === msg.text || pending[i].title === msg.text) return i;
    }
    // stored in another form (a button under another title, typed text normalised): the
    // oldest message in flight that was sent before this one was stored
    for (var j = 0; j < pending.length; j++) {
      if (pending[j].floor < msg.id) return j;
    }
    return -1;
  }

  function insertInLog(node) {
    log.insertBefore(node, latestButtons && latestButtons.parentNode === log ? latestButtons : null);
  }

  function addMessage(msg) {
    if (!msg || typeof msg.id !== "number" || messages[msg.id]) return;
    messages[msg.id] = msg;
    lastId = Math.max(lastId, msg.id);
    (msg.buttons || []).forEach(function (b) { titles[b.payload] = b.title; });
    if (msg.handoff) setHandoff(msg.handoff);
    if (msg.role === "user") {
      var idx = matchPending(msg);
      if (idx >= 0) {
        var mine = pending.splice(idx, 1)[0];
        mine.node.classList.remove("pending");
        mine.node.setAttribute("data-id", String(msg.id));
        if (mine.text !== mine.title) rememberPressed(msg.id, mine.title);
        return;
      }
    }
    var text = displayText(msg);
    if (msg.role === "user" && text === null) return;
    if (!text && !(msg.buttons || []).length) return;
    var li = bubble(msg, text || "");
    li.setAttribute("data-id", String(msg.id));
    insertInLog(li);
    if (msg.role !== "user") {
      li.setAttribute("tabindex", "-1");  // takes the focus after a choice button
      arrived.push(li);
      renderButtons(msg.buttons);
      updateTopics(msg.buttons);
    }
    if (msg.role === "advisor") setHandoff("advisor_joined");
    if (msg.role !== "user" && panel.hidden && restored) setUnread(true);
  }

  function addMessages(list, history) {
    (list || []).forEach(addMessage);
    settle(history);
  }

  function setHandoff(state) {
    var text = HANDOFF_TEXT[state] || "";
    handoffBanner.textContent = text;
    handoffBanner.hidden = !text;
    host.setAttribute("data-handoff", state || "");
  }

  function setWaiting(delta) {
    waiting = Math.max(0, waiting + delta);
    panel.classList.toggle("busy", waiting > 0);
    setStatus(waiting > 0 ? "Der Quartierslotse schreibt …" : "");
  }

  // ---------- network: every request ends, at the latest after its timeout ----------
  function request(method, path, body, timeout, signal) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timedOut = false;
    var timer = setTimeout(function () { timedOut = true; if (ctrl) ctrl.abort(); }, timeout);
    function stop() { ctrl.abort(); }
    if (signal && ctrl) {
      if (signal.aborted) ctrl.abort();
      else signal.addEventListener("abort", stop);
    }
    var opts = { method: method, headers: {}, signal: ctrl ? ctrl.signal : undefined,
      credentials: "omit", referrerPolicy: "no-referrer" };
    if (body) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    var call = fetch(WEBHOOK + path, opts).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var err = new Error(res.status >= 500 || !data.error ? UNREACHABLE : data.error);
          err.status = res.status;
          throw err;
        }
        return data;
      });
    }, function (e) {
      if (e && e.name === "AbortError" && !timedOut) throw e;  // aborted on purpose
      throw new Error(UNREACHABLE);
    });
    if (!ctrl) {  // very old browsers: no abort, but the widget still stops waiting
      call = Promise.race([call, new Promise(function (_, reject) {
        setTimeout(function () { reject(new Error(UNREACHABLE)); }, timeout);
      })]);
    }
    function done() { clearTimeout(timer); if (signal && ctrl) signal.removeEventListener("abort", stop); }
    return call.then(function (data) { done(); return data; }, function (err) { done(); throw err; });
  }

  // `messageId`: one id per message the user sends, the same on "Nochmal versuchen", so the
  // server answers a message it already received (the first try timed out) only once
  function post(message, title, messageId) {
    var node = null, metadata = { municipality: cfg.municipality };
    if (messageId) metadata.retry = true;  // only then the server looks for the first try
    metadata.message_id = messageId = messageId || newSender();
    clearError();
    if (title !== null) {
      node = bubble({ role: "user" }, title);
      node.classList.add("pending");
      insertInLog(node);
      pending.push({ text: message, title: title, node: node, floor: lastId });
    }
    if (latestButtons) { latestButtons.remove(); latestButtons = null; syncTopics(); }
    following = true;
    jumpBtn.hidden = true;
    scrollDown();
    setWaiting(1);
    var started = performance.now(), mine = epoch;
    return request("POST", "/webhook", { sender: sender, message: message,
      metadata: metadata }, TIMEOUT.post)
      .then(function (data) {
        if (mine !== epoch) return;
        addMessages(data.messages);
        pending.forEach(function (p) { if (p.node === node) p.answered = true; });
        host.setAttribute("data-last-latency", String(Math.round(performance.now() - started)));
        recovered();
      })
      .catch(function (err) {
        if (mine !== epoch) return;
        if (node) {
          node.classList.add("failed");
          pending = pending.filter(function (p) { return p.node !== node; });
        }
        var again = !err.status || err.status >= 500 || err.status === 408 || err.status === 429;
        if (again) broken = true;
        showError(err.message || UNREACHABLE, again ? function () {
          // the server may have stored the first try (the answer was only late): then its
          // bubble stays and no second one is drawn; the server answers the message once
          if (node && node.hasAttribute("data-id")) { node.classList.remove("failed"); post(message, null, messageId); return; }
          if (node) node.remove();
          post(message, title, messageId);
        } : null);
      })
      .then(function () { setWaiting(-1); });
  }

  // one error at a time, with the phone number and "Nochmal versuchen"
  function showError(text, retry) {
    clearError();
    var li = bubble({ role: "system" }, text);
    li.classList.add("error");
    li.setAttribute("role", "alert");
    if (retry) {
      var again = el("button", { type: "button", class: "retry", text: "Nochmal versuchen",
        onclick: function () { focusAnswer = true; clearError(); retry(); } });
      li.appendChild(again);
    }
    errorNotice = li;
    log.appendChild(li);
    following = true;
    scrollDown();
    if (focusAnswer && !panel.hidden) { focusAnswer = false; focusInto(retry ? li.lastChild : input); }
  }
  function clearError() {
    if (errorNotice) errorNotice.remove();
    errorNotice = null;
  }

  function sendTyped() {
    var text = input.value.trim();
    if (!text || !accepted) return;
    input.value = "";
    post(text, text);
    if (!touch.matches) input.focus();  // a touch keyboard would cover the answer
  }

  function sendPayload(payload, title) {
    if (!accepted) { acceptPrivacy(); }
    // the pressed button may disappear: the focus waits in the log, not on the page behind
    if (focusAnswer) focusInto(scroller);
    post(payload, title);
  }

  function startPolling() {
    if (stopPoll || !lastId) return;
    var delay = 1000, mine = epoch, timer = null, over = false;
    var ctrl = window.AbortController ? new AbortController() : null;
    stopPoll = function () { over = true; clearTimeout(timer); if (ctrl) ctrl.abort(); stopPoll = null; };
    function loop() {
      if (over || mine !== epoch) return;  // stopped, or the conversation was deleted
      // the server's copy of an answered message may be older than the answers shown: asked
      // for once more, then the bubble stays as it is
      var late = pending.filter(function (p) { return p.answered; });
      var after = late.reduce(function (m, p) { return Math.min(m, p.floor); }, lastId);
      request("GET", "/messages?sender=" + encodeURIComponent(sender) + "&after=" + after +
        "&timeout=" + POLL_SECONDS, null, TIMEOUT.poll, ctrl ? ctrl.signal : undefined)
        .then(function (data) {
          if (over || mine !== epoch) return;
          delay = 1000;
          addMessages(data.messages);
          late.forEach(function (p) { p.node.classList.remove("pending"); });
          pending = pending.filter(function (p) { return late.indexOf(p) < 0; });
          timer = setTimeout(loop, 50);
        }, function () {
          if (over || mine !== epoch) return;
          delay = Math.min(delay * 2, 30000);
          timer = setTimeout(loop, delay);
        });
    }
    loop();
  }
  // back online, woken from sleep, or the server answers again after a failure: the running poll
  // may hang or wait out its back-off, a new one asks at once
  function restartPolling() { if (stopPoll) { stopPoll(); startPolling(); } }
  window.addEventListener("online", restartPolling);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) restartPolling(); });
  function recovered() {
    if (broken) { broken = false; restartPolling(); }
    startPolling();
  }

  var LOADING = "Ihr Gespräch wird geladen …";
  function restore() {
    var mine = epoch;
    if (accepted && !waiting) setStatus(LOADING);
    function loaded() { if (status.textContent === LOADING) setStatus(""); }
    return request("GET", "/history?sender=" + encodeURIComponent(sender), null, TIMEOUT.history)
      .then(function (data) {
        loaded();
        if (mine !== epoch) return;
        var list = (data.messages || []).slice().sort(function (a, b) { return a.id - b.id; });
        list.forEach(function (m) { (m.buttons || []).forEach(function (b) { titles[b.payload] = b.title; }); });
        addMessages(list, true);
        // a finished handoff leaves no banner
        for (var i = list.length - 1; i >= 0; i--) { if (list[i].handoff) { setHandoff(list[i].handoff); break; } }
        anchorView();
        recovered();
      }, function () {
        loaded();
        // the server is down or hangs: a returning visitor learns it (a new one when sending)
        if (mine !== epoch || !accepted) return;
        broken = true;
        showError(UNREACHABLE, function () { restore(); });
      });
  }

  // ---------- deletion on request ----------
  function askDelete() {
    confirmBox.hidden = false;
    forgetBtn.setAttribute("aria-expanded", "true");
    noBtn.focus();  // the safe choice first: Enter alone never deletes
  }

  function closeConfirm(keepFocus) {
    confirmBox.hidden = true;
    forgetBtn.setAttribute("aria-expanded", "false");
    setDeleting(false);
    if (!keepFocus) forgetBtn.focus();
  }

  // aria-disabled, not disabled: the focus stays on the button while the request runs
  function setDeleting(on) {
    deleting = on;
    [yesBtn, noBtn].forEach(function (b) { b.setAttribute("aria-disabled", String(on)); });
  }

  function deleteConversation() {
    if (deleting) return;
    setDeleting(true);
    setStatus("Das Gespräch wird gelöscht …");
    request("DELETE", "/conversation?sender=" + encodeURIComponent(sender), null, TIMEOUT.remove)
      .then(function (data) {
        if (!data || data.deleted !== true) throw new Error("");
        setStatus("");
        closeConfirm(true);
        setTools(false);
        startOver();
        save("deleted", Date.now());  // tells the widget in other tabs of this browser
      })
      .catch(function (err) {
        setStatus("");
        closeConfirm(true);
        setTools(false);  // the menu would cover the message
        settingsBtn.focus();
        // nothing is removed here: the conversation is still on the server
        showError(err && err.status === 429 && err.message ? err.message :
          "Das Gespräch konnte gerade nicht gelöscht werden. Bitte versuchen Sie es später noch einmal." +
          (cfg.helpPhone ? " Sie können auch anrufen: " + cfg.helpPhone + "." : ""), null);
      });
  }

  // after a deletion: empty widget, new conversation id, privacy notice as on a first visit
  // (`id`: the new id another tab of this browser already chose)
  function startOver(id) {
    epoch++;
    if (stopPoll) stopPoll();
    messages = {};
    pending = [];
    titles = {};
    titles[HUMAN_PAYLOAD] = HUMAN_TITLE;
    pressed = {};
    forget("pressed");
    lastId = 0;
    waiting = 0;
    setWaiting(0);
    latestButtons = null;
    anchor = null;
    arrived = [];
    errorNotice = null;
    jumpBtn.hidden = true;
    syncTopics();
    log.textContent = "";
    setHandoff("");
    setUnread(false);
    sender = id || newSender();
    if (!id) save("sender", sender);
    accepted = false;
    forget("privacy");
    showComposer();
    var done = bubble({ role: "system" }, "Ihr Gespräch wurde gelöscht.");
    done.classList.add("deleted");
    done.setAttribute("tabindex", "-1");
    log.appendChild(done);
    scrollTo(0);
    focusInto(done);
  }

  window.addEventListener("storage", function (e) {
    var id = load("sender", "");
    if (e.key === KEY + "deleted" && id !== sender && /^[A-Za-z0-9_-]{8,64}$/.test(id)) startOver(id);
  });

  // ---------- start ----------
  try {
    var savedTopics = JSON.parse(load("topics", "[]"));
    if (Array.isArray(savedTopics)) updateTopics(savedTopics);
  } catch (e) { /* ignore */ }
  setSize(parseInt(load("size", "0"), 10) || 0);
  showComposer();
  function mount() {
    document.body.appendChild(host);
    host.setAttribute("data-ready", "loading");
    restore().then(function () { restored = true; host.setAttribute("data-ready", "true"); });
    if (cfg.open || load("open", "0") === "1") setOpen(true);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
