// The agent's desk: one Alpine store holding the agent's state, offers, conversations and the
// open thread, fed by the staff socket and the REST API. Compose and ticket/transfer/wrap-up
// actions live in their own modules and are mixed in.

import { api, html } from "./api.js";
import { StaffSocket } from "./socket.js";
import { Thread } from "./thread.js";
import { composeActions } from "./compose.js";
import { conversationActions } from "./actions.js";
import { fmt } from "./strings.js";

const boot = JSON.parse(document.getElementById("desk-boot").textContent);
const S = boot.strings;
const TYPING_SHOWN_MS = 6000;
const AGENT_GET_MS = 1000;
const followed = new Set(); // conversations subscribed on the current socket
let agentAsked = null;

const core = {
  S,
  user: boot.user,
  agent: boot.desk.agent || { shown_state: "offline", state: "offline", capacity: {}, load: {} },
  offers: [],
  notices: [],
  conversations: [],
  threads: {},
  current: null,
  connection: "connecting",
  stateChoice: "offline",
  now: Date.now(),
  typingUntil: {},
  side: "customer",
  popCache: {},
  acceptedAt: {},

  init() {
    this.offers = (boot.desk.offers || []).map((o) => this.ringing(o, Date.parse(o.expires_at)));
    this.syncStateChoice();
    setInterval(() => { this.now = Date.now(); }, 250);
    this.socket = new StaffSocket((frame) => this.onFrame(frame), (status) => { this.connection = status; });
    this.socket.connect();
    this.loadConversations();
    document.addEventListener("keydown", (event) => this.onKey(event));
    document.addEventListener("visibilitychange", () => this.markCurrentRead());
    window.deskStore = this; // for the browser tests and the console
  },

  fmt,
  time(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
  },
  channelLabel(kind) { return (S.channels && S.channels[kind]) || kind || ""; },
  connectionLabel() { return S.connection[this.connection] || this.connection; },
  shownStateLabel() {
    const a = this.agent;
    const label = S.states[a.shown_state] || a.shown_state;
    if (a.state === "not_ready" && a.reason) {
      const reason = boot.reasons.find((r) => r.code === a.reason);
      return `${label}: ${reason ? reason.name : a.reason === "missed" ? S.missed : a.reason}`;
    }
    return label;
  },
  capacityText() {
    const cap = (this.agent.capacity || {}).chat || 0;
    const load = (this.agent.load || {}).chat || 0;
    return fmt(S.capacity_n, { load, cap });
  },
  capacityPct() {
    const cap = (this.agent.capacity || {}).chat || 0;
    return cap ? Math.min(100, Math.round((100 * ((this.agent.load || {}).chat || 0)) / cap)) : 0;
  },
  acwLeft() {
    if (this.agent.state !== "after_work" || !this.agent.after_work_until) return 0;
    return Math.max(0, Math.ceil((Date.parse(this.agent.after_work_until) - this.now) / 1000));
  },
  notify(text, kind = "info") {
    const id = Math.random().toString(36).slice(2);
    this.notices.push({ id, text, kind });
    setTimeout(() => { this.notices = this.notices.filter((n) => n.id !== id); }, 6000);
  },

  // --- state ------------------------------------------------------------------------------------
  syncStateChoice() {
    const a = this.agent;
    this.stateChoice = a.state === "not_ready" ? `not_ready:${a.reason || ""}` : a.state;
  },
  chooseState() {
    const [state, reason] = this.stateChoice.split(":");
    if (!this.socket.send({ type: "agent.state.set", state, reason: reason || "" })) {
      this.notify(S.offline_retry, "bad");
      this.syncStateChoice();
    }
  },
  setAgent(agent) {
    this.agent = { ...this.agent, ...agent };
    this.syncStateChoice();
  },

  // --- offers -----------------------------------------------------------------------------------
  ringing(offer, deadline) {
    this.prefetchPop(offer.customer.id, offer.conversation);
    return { ...offer, deadline, received: Date.now() };
  },
  offerLeft(offer) {
    const left = Math.ceil((offer.deadline - Math.max(this.now, offer.received)) / 1000);
    return Math.max(0, Math.min(offer.timeout_s || left, left));
  },
  offerPct(offer) {
    const total = (offer.timeout_s || 15) * 1000;
    return Math.max(0, Math.min(100, (100 * (offer.deadline - this.now)) / total));
  },
  waited(offer) { return offer.waited_s + Math.max(0, Math.floor((this.now - offer.received) / 1000)); },
  accept(offer) {
    this.acceptedAt[offer.conversation] = performance.now();
    offer.answering = true;
    if (!this.socket.send({ type: "offer.accept", offer: offer.offer })) this.notify(S.offline_retry, "bad");
  },
  decline(offer) {
    if (!this.socket.send({ type: "offer.decline", offer: offer.offer })) this.notify(S.offline_retry, "bad");
  },

  // --- conversations ----------------------------------------------------------------------------
  async loadConversations() {
    try {
      const rows = await api("GET", "/api/v1/desk/conversations/");
      const known = new Set(rows.map((r) => r.conversation));
      // An accepted offer whose row the list did not have yet stays until the next load.
      const pending = this.conversations.filter((c) => c.pending && !known.has(c.conversation));
      this.conversations = rows.concat(pending);
      for (const row of rows) this.follow(row.conversation);
      if (this.current && !this.conversations.some((c) => c.conversation === this.current)) this.current = null;
    } catch (error) {
      this.notify(error.message, "bad");
    }
  },
  // Each conversation is subscribed once per socket: the socket's frames are rate-limited.
  follow(conversationId) {
    if (!this.threads[conversationId]) this.threads[conversationId] = new Thread(conversationId);
    if (followed.has(conversationId)) return;
    if (this.socket.send({ type: "conversation.subscribe", conversation: conversationId })) followed.add(conversationId);
  },
  // Asking for the agent's figures (load, offers) after a change, at most once a second.
  refreshAgent() {
    if (agentAsked) return;
    agentAsked = setTimeout(() => {
      agentAsked = null;
      this.socket.send({ type: "agent.get" });
    }, AGENT_GET_MS);
  },
  info(conversationId) { return this.conversations.find((c) => c.conversation === conversationId); },
  currentInfo() {
    return this.info(this.current) || { customer: {}, channel: "", topic: "", transfer_note: "" };
  },
  thread() { return this.current ? this.threads[this.current] : null; },
  threadItems() { const t = this.thread(); return t ? t.items(S) : []; },
  preview(row) {
    const last = row.last_message;
    if (!last) return S.no_messages;
    return (last.sender_type === "agent" ? S.you + ": " : "") + last.preview;
  },
  isTyping(conversationId) { return (this.typingUntil[conversationId] || 0) > this.now; },

  async open(conversationId) {
    if (this.current !== conversationId) {
      this.current = conversationId;
      this.side = "customer";
      this.ticketReset();
    }
    const row = this.info(conversationId);
    if (!this.threads[conversationId]) this.follow(conversationId);
    this.showPop(row ? row.customer.id : null, conversationId);
    const thread = this.threads[conversationId];
    if (!thread.loaded) {
      try {
        await thread.loadLatest(row ? row.last_seq : 0);
      } catch (error) {
        this.notify(error.message, "bad");
      }
    }
    this.scrollThread();
    this.markCurrentRead();
    const box = document.getElementById("compose-text");
    if (box) box.focus();
  },
  scrollThread() {
    requestAnimationFrame(() => {
      const el = document.querySelector("[data-testid=thread]");
      if (el) el.scrollTop = el.scrollHeight;
    });
  },
  async loadEarlier() {
    const el = document.querySelector("[data-testid=thread]");
    const before = el ? el.scrollHeight : 0;
    await this.thread().loadEarlier();
    requestAnimationFrame(() => { if (el) el.scrollTop = el.scrollHeight - before; });
  },
  onThreadScroll(el) {
    if (el.scrollTop < 40 && this.thread() && this.thread().hasEarlier()) this.loadEarlier();
  },
  markCurrentRead() {
    const row = this.info(this.current);
    const thread = this.thread();
    if (!row || !thread || document.hidden || !thread.loaded) return;
    row.unread = 0;
    if (thread.lastSeq > (row.readUpTo || 0)) {
      row.readUpTo = thread.lastSeq;
      api("POST", `/api/v1/conversations/${row.conversation}/read/`, { up_to_seq: thread.lastSeq }).catch(() => {});
    }
  },

  // --- the screen pop ---------------------------------------------------------------------------
  popUrl(customerId, conversationId) {
    return `/desk/customers/${customerId}/screen-pop/?conversation=${conversationId}`;
  },
  prefetchPop(customerId, conversationId) {
    const url = this.popUrl(customerId, conversationId);
    if (!this.popCache[url]) this.popCache[url] = html(url).catch(() => null);
    return this.popCache[url];
  },
  async showPop(customerId, conversationId) {
    const panel = document.getElementById("screen-pop");
    if (!panel || !customerId) return;
    const url = this.popUrl(customerId, conversationId);
    if (panel.dataset.url === url && panel.firstElementChild) return;
    panel.dataset.url = url;
    delete panel.dataset.firstPaintMs;
    let markup = await this.prefetchPop(customerId, conversationId);
    delete this.popCache[url]; // shown once from the prefetch; later visits read it fresh
    if (markup === null) markup = await html(url).catch(() => `<p class="bad">${S.pop_failed}</p>`);
    if (panel.dataset.url !== url) return;
    panel.innerHTML = markup;
    const started = this.acceptedAt[conversationId];
    if (started !== undefined) {
      delete this.acceptedAt[conversationId];
      panel.dataset.firstPaintMs = (performance.now() - started).toFixed(1);
    }
  },

  // --- socket events ----------------------------------------------------------------------------
  onFrame(frame) {
    const p = frame.payload || {};
    const handler = this.events[frame.type];
    if (handler) handler.call(this, p, frame);
  },
  events: {
    hello(p) {
      if (p.agent) this.setAgent(p.agent);
      if (p.offers) this.offers = p.offers.map((o) => this.ringing(o, Date.parse(o.expires_at)));
      // A new socket follows nothing: follow every conversation again (each answers with its last_seq).
      followed.clear();
      for (const id of Object.keys(this.threads)) this.follow(Number(id));
      this.loadConversations();
    },
    agent(p) {
      if (p.agent) this.setAgent(p.agent);
      if (p.offers) this.offers = p.offers.map((o) => this.ringing(o, Date.parse(o.expires_at)));
    },
    "agent.state"(p) {
      if (this.agent.agent && p.agent !== this.agent.agent) return;
      this.setAgent({ state: p.state, reason: p.reason, since: p.since, after_work_until: p.after_work_until });
      this.refreshAgent();
    },
    "offer.created"(p) {
      if (!this.offers.some((o) => o.offer === p.offer)) {
        this.offers.push(this.ringing(p, Date.now() + (p.timeout_s || 15) * 1000));
      }
    },
    "offer.withdrawn"(p) {
      const had = this.offers.some((o) => o.offer === p.offer);
      this.offers = this.offers.filter((o) => o.offer !== p.offer);
      if (had && S.withdrawn[p.reason]) this.notify(S.withdrawn[p.reason], p.reason === "timeout" ? "bad" : "info");
    },
    "offer.accepted"(p) {
      const offer = this.offers.find((o) => o.conversation === p.conversation);
      this.offers = this.offers.filter((o) => o.conversation !== p.conversation);
      if (offer && !this.info(p.conversation)) {
        this.conversations.unshift({
          conversation: p.conversation, contact: p.contact, customer: offer.customer, channel: offer.channel,
          topic: offer.topic, queue: offer.queue, transfer_note: offer.transfer_note, last_seq: 0, unread: 0,
          last_message: null, pending: true,
        });
      }
      this.follow(p.conversation);
      this.open(p.conversation);
      this.loadConversations();
      this.refreshAgent();
    },
    subscribed(p) {
      const thread = this.threads[p.conversation];
      if (thread) thread.resync(p.last_seq);
    },
    "message.created"(p) {
      const thread = this.threads[p.conversation];
      if (thread) thread.receive(p);
      const row = this.info(p.conversation);
      if (row) {
        row.last_seq = Math.max(row.last_seq || 0, p.seq);
        row.last_message = { seq: p.seq, kind: p.kind, sender_type: p.sender_type, preview: p.body ? p.body.slice(0, 80) : S.kinds[p.kind] || p.kind, created_at: p.created_at };
        if (p.direction === "in") {
          this.typingUntil[p.conversation] = 0;
          if (p.conversation === this.current && !document.hidden) this.markCurrentRead();
          else row.unread = (row.unread || 0) + 1;
        }
        // Newest activity first, as the server orders it.
        this.conversations = [row, ...this.conversations.filter((c) => c !== row)];
      }
      if (p.conversation === this.current) this.scrollThread();
    },
    "message.read"(p) {
      const thread = this.threads[p.conversation];
      if (thread && p.direction === "out") thread.markRead(p.up_to_seq);
    },
    "message.delivered"(p) {
      const thread = this.threads[p.conversation];
      if (thread) thread.markDelivered(p.seq);
    },
    "message.updated"(p) {
      const thread = this.threads[p.conversation];
      if (thread) thread.merge([p]);
    },
    "note.created"(p) {
      const thread = this.threads[p.conversation];
      if (thread) thread.addNote(p);
      if (p.conversation === this.current) this.scrollThread();
    },
    typing(p) {
      if (p.sender_type === "customer") this.typingUntil[p.conversation] = p.is_typing ? Date.now() + TYPING_SHOWN_MS : 0;
    },
    "conversation.resolved"(p) {
      if (this.ending !== p.conversation) this.drop(p.conversation, S.ended);
    },
    "conversation.transferred"(p) {
      if (this.transferring !== p.conversation) this.drop(p.conversation, S.transferred_away);
    },
    "tenant.suspended"() { location.reload(); },
    error(p, frame) { this.notify(frame.detail || frame.code, "bad"); },
  },
  drop(conversationId, message) {
    const row = this.info(conversationId);
    if (!row) return;
    this.conversations = this.conversations.filter((c) => c.conversation !== conversationId);
    this.socket.send({ type: "conversation.unsubscribe", conversation: conversationId });
    followed.delete(conversationId);
    delete this.threads[conversationId];
    if (this.current === conversationId) {
      this.current = null;
      const panel = document.getElementById("screen-pop");
      if (panel) { panel.innerHTML = ""; panel.dataset.url = ""; delete panel.dataset.firstPaintMs; }
    }
    if (message) this.notify(fmt(message, { name: row.customer.name || S.unnamed }));
    this.refreshAgent();
  },

  // --- keyboard ---------------------------------------------------------------------------------
  onKey(event) {
    if (!event.altKey) return;
    const key = event.key.toLowerCase();
    const offer = this.offers[0];
    if (key === "a" && offer) { event.preventDefault(); this.accept(offer); }
    else if (key === "d" && offer) { event.preventDefault(); this.decline(offer); }
    else if (key === "arrowdown" || key === "arrowup") {
      event.preventDefault();
      const ids = this.conversations.map((c) => c.conversation);
      if (!ids.length) return;
      const at = ids.indexOf(this.current);
      const next = key === "arrowdown" ? Math.min(ids.length - 1, at + 1) : Math.max(0, at - 1);
      this.open(ids[at === -1 ? 0 : next]);
    } else if (key === "n" && this.current) { event.preventDefault(); this.compose.note = !this.compose.note; }
    else if (key === "t" && this.current) { event.preventDefault(); this.openTicket(); }
    else if (key === "w" && this.current) { event.preventDefault(); this.openWrapUp(); }
  },
};

document.addEventListener("alpine:init", () => {
  const Alpine = window.Alpine;
  Alpine.store("desk", { ...core, ...composeActions, ...conversationActions });
});
