// Advisor console: live queue and live conversation. No third-party code.
// Everything from users is inserted with textContent, never as HTML.
"use strict";

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function waited(seconds) {
  if (seconds < 60) return "unter 1 Min.";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return minutes + " Min.";
  return Math.floor(minutes / 60) + " Std. " + (minutes % 60) + " Min.";
}

function clock(ts) {
  return new Date(ts * 1000).toLocaleTimeString("de-DE", {hour: "2-digit", minute: "2-digit"});
}

// ---------------------------------------------------------------- queue page
function startQueue(table) {
  const csrf = table.dataset.csrf;
  const body = table.querySelector("tbody");
  const state = document.getElementById("queue-state");
  const dutyCount = document.getElementById("duty-count");
  let known = new Set();
  let first = true;

  function claimButton(ticket) {
    const form = el("form");
    form.method = "post";
    form.action = "/tickets/" + ticket.id + "/claim";
    const token = el("input");
    token.type = "hidden"; token.name = "csrf_token"; token.value = csrf;
    const button = el("button", "Übernehmen", "primary claim");
    button.type = "submit";
    form.append(token, button);
    return form;
  }

  async function refresh() {
    try {
      const response = await fetch("/api/queue", {credentials: "same-origin"});
      if (response.status === 401) { window.location = "/login"; return; }
      const data = await response.json();
      body.replaceChildren();
      const now = new Set();
      for (const ticket of data.tickets) {
        now.add(ticket.id);
        const row = el("tr", null, "ticket prio-" + ticket.priority_label.toLowerCase() +
                       (ticket.status === "open" ? " taken" : "") + (ticket.alarm ? " alarm" : ""));
        row.dataset.ticket = ticket.id;
        if (!first && !known.has(ticket.id)) row.classList.add("new");
        const prio = el("td");
        prio.append(el("span", ticket.priority_label, "badge prio-" + ticket.priority_label.toLowerCase()));
        row.append(prio, el("td", waited(ticket.waiting_seconds)), el("td", ticket.topic),
                   el("td", ticket.place), el("td", ticket.channel_label),
                   el("td", ticket.preview, "preview"),
                   el("td", ticket.status_label + (ticket.claimed_by ? " (" + ticket.claimed_by + ")" : "")));
        const action = el("td");
        if (ticket.status === "queued") action.append(claimButton(ticket));
        else if (ticket.mine) {
          const link = el("a", "Öffnen", "button");
          link.href = "/tickets/" + ticket.id;
          action.append(link);
        }
        row.append(action);
        body.append(row);
      }
      known = now; first = false;
      const waiting = data.tickets.filter(t => t.status === "queued").length;
      state.textContent = waiting === 0 ? "Niemand wartet gerade." :
        (waiting === 1 ? "1 Person wartet." : waiting + " Personen warten.");
      dutyCount.textContent = "· im Dienst: " + data.advisors_on_duty;
      table.dispatchEvent(new CustomEvent("queue:update", {detail: data}));  // notify.js
    } catch (error) {
      state.textContent = "Verbindung unterbrochen – neuer Versuch …";
    }
  }
  refresh();
  setInterval(refresh, 1500);
}

// ---------------------------------------------------------------- conversation page
function startConversation(root) {
  const ticket = root.dataset.ticket;
  const csrf = root.dataset.csrf;
  const list = document.getElementById("transcript");
  const labels = {user: "", bot: "", advisor: "", system: ""};
  let after = 0;
  let stopped = false;

  function show(message) {
    const item = el("li", null, "msg " + message.role + (message.alarm ? " alarm" : ""));
    const head = el("div", message.who + " · " + (message.time || clock(message.ts)), "meta");
    const text = el("div", message.text, "text");
    item.append(head, text);
    list.append(item);
    list.scrollTop = list.scrollHeight;
  }

  async function poll() {
    while (!stopped) {
      try {
        const response = await fetch("/api/tickets/" + ticket + "/transcript?after=" + after,
                                     {credentials: "same-origin"});
        if (response.status === 401) { window.location = "/login"; return; }
        const data = await response.json();
        for (const message of data.messages || []) {
          show(message);
          after = Math.max(after, message.ts);
        }
        if (data.status === "closed") {
          const label = document.getElementById("status-label");
          if (label) label.textContent = "abgeschlossen";
        }
        if (!response.ok) await new Promise(r => setTimeout(r, 2000));
      } catch (error) {
        await new Promise(r => setTimeout(r, 2000));
      }
    }
  }
  poll();

  const form = document.getElementById("reply-form");
  if (form) {
    const textarea = document.getElementById("reply-text");
    const state = document.getElementById("reply-state");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = textarea.value.trim();
      if (!text) return;
      state.textContent = "Wird gesendet …";
      try {
        const response = await fetch("/api/tickets/" + ticket + "/reply", {
          method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
          body: JSON.stringify({text: text}),
        });
        const data = await response.json();
        if (response.ok) {
          // keep what the advisor has typed meanwhile: clear only the text that was sent
          if (textarea.value.trim() === text) textarea.value = "";
          state.textContent = "Gesendet.";
        }
        else state.textContent = data.error || "Senden fehlgeschlagen.";
      } catch (error) {
        state.textContent = "Senden fehlgeschlagen. Bitte noch einmal versuchen.";
      }
      textarea.focus();
    });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
    });
    for (const button of document.querySelectorAll(".canned-button")) {
      button.addEventListener("click", () => {
        textarea.value = button.dataset.text;
        textarea.focus();
      });
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const table = document.getElementById("queue");
  if (table) startQueue(table);
  const conversation = document.getElementById("conversation");
  if (conversation) startConversation(conversation);
});
