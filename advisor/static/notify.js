// Advisor console: advisors notice new requests without watching the queue.
// Listens to the queue updates of console.js ("queue:update" on #queue) and
//  - counts the waiting people in the tab title ("(3) Warteschlange – Quartierslotse") and a badge,
//  - marks urgent requests (emergency or personal topic) in a line above the queue,
//  - on opt-in (button; the browser asks for permission) plays a tone and shows a browser
//    notification for every new waiting request; emergencies get a longer tone and a
//    notification that stays until it is clicked.
// Notifications name topic and place only, never what the person wrote (lock screens).
"use strict";

(function () {
  const STORAGE_KEY = "ql-notify";
  const URGENT = new Set(["Notfall", "hoch"]);

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function isUrgent(ticket) {
    return ticket.alarm || URGENT.has(ticket.priority_label);
  }

  function setup(table) {
    const heading = table.closest(".card").querySelector("h1");
    const baseTitle = document.title;
    const badge = el("span", "0", "waiting-badge");
    badge.hidden = true;
    badge.title = "wartende Personen";
    const dutyCount = heading.querySelector("#duty-count");
    heading.insertBefore(badge, dutyCount);  // "Warteschlange (3) · im Dienst: 1"
    heading.insertBefore(document.createTextNode(" "), dutyCount);

    const urgentLine = el("p", "", "urgent-line");
    urgentLine.hidden = true;
    urgentLine.setAttribute("role", "alert");
    table.before(urgentLine);

    const controls = el("div", null, "notify-controls");
    const toggle = el("button", "", "notify-toggle");
    toggle.type = "button";
    const hint = el("span", "", "muted notify-hint");
    hint.setAttribute("aria-live", "polite");
    controls.append(toggle, " ", hint);
    heading.after(controls);

    let enabled = localStorage.getItem(STORAGE_KEY) === "on" && permission() === "granted";
    let audio = null;
    let known = null; // ids of waiting requests at the last update (null: before the first)

    function permission() {
      return "Notification" in window ? Notification.permission : "unsupported";
    }

    function showState() {
      toggle.textContent = enabled ? "Ton und Benachrichtigung ausschalten"
                                   : "Ton und Benachrichtigung einschalten";
      toggle.setAttribute("aria-pressed", enabled ? "true" : "false");
      if (enabled) hint.textContent = "Neue Anfragen melden sich mit Ton und Hinweis.";
      else if (permission() === "denied") {
        hint.textContent = "Ihr Browser blockiert Benachrichtigungen für diese Seite. " +
                           "Sie können das in den Einstellungen des Browsers ändern.";
      } else if (permission() === "unsupported") {
        hint.textContent = "Dieser Browser kann keine Benachrichtigungen zeigen; der Ton geht trotzdem.";
      } else hint.textContent = "Aus: Neue Anfragen sehen Sie nur hier und im Titel des Tabs.";
    }

    toggle.addEventListener("click", async () => {
      if (enabled) {
        enabled = false;
        localStorage.setItem(STORAGE_KEY, "off");
        showState();
        return;
      }
      // the click is the user gesture browsers require for sound and the permission prompt
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") await audio.resume();
      let answer = permission();
      if (answer === "default") answer = await Notification.requestPermission();
      enabled = answer === "granted" || answer === "unsupported";
      localStorage.setItem(STORAGE_KEY, enabled ? "on" : "off");
      showState();
      if (enabled) beep(false);
    });

    function beep(urgent) {
      if (!audio) return;
      const tones = urgent ? [880, 660, 880, 660] : [660, 880];
      tones.forEach((frequency, i) => {
        const oscillator = audio.createOscillator();
        const gain = audio.createGain();
        const start = audio.currentTime + i * 0.22;
        oscillator.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.3, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.2);
        oscillator.connect(gain).connect(audio.destination);
        oscillator.start(start);
        oscillator.stop(start + 0.21);
      });
    }

    function notify(ticket) {
      if (permission() !== "granted") return;
      const urgent = isUrgent(ticket);
      const title = (ticket.alarm || ticket.priority_label === "Notfall" ? "NOTFALL: " :
                     urgent ? "Dringende Anfrage: " : "Neue Anfrage: ") + ticket.topic;
      const note = new Notification(title, {
        body: ticket.place + " · " + ticket.channel_label,
        tag: "ql-ticket-" + ticket.id,
        requireInteraction: urgent,
      });
      note.addEventListener("click", () => { window.focus(); note.close(); });
    }

    function update(data) {
      const waiting = data.tickets.filter(t => t.status === "queued");
      const urgent = waiting.filter(isUrgent);
      document.title = waiting.length ? "(" + waiting.length + ") " + baseTitle : baseTitle;
      badge.textContent = String(waiting.length);
      badge.hidden = waiting.length === 0;
      badge.classList.toggle("urgent", urgent.length > 0);
      urgentLine.hidden = urgent.length === 0;
      urgentLine.textContent = urgent.length === 1 ? "1 dringende Anfrage wartet." :
        urgent.length + " dringende Anfragen warten.";
      for (const row of table.querySelectorAll("tr.ticket")) {
        const ticket = data.tickets.find(t => String(t.id) === row.dataset.ticket);
        if (ticket && ticket.status === "queued" && isUrgent(ticket)) row.classList.add("urgent");
      }
      const fresh = known === null ? [] : waiting.filter(t => !known.has(t.id));
      known = new Set(waiting.map(t => t.id));
      if (!fresh.length || !enabled) return;
      beep(fresh.some(isUrgent));
      fresh.forEach(notify);
    }

    table.addEventListener("queue:update", event => update(event.detail));
    showState();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const table = document.getElementById("queue");
    if (table) setup(table);
  });
})();
