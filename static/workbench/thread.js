// One conversation's messages as the desk holds them: keyed by seq, so a message seen twice
// (the HTTP reply and the socket event, or a resync after a reconnect) is shown once, and a
// gap in seq is filled from the database (GET .../messages/?since=).

import { api } from "./api.js";

const PAGE = 50;
const SYNC_PAGE = 200;

export class Thread {
  constructor(id) {
    this.id = id;
    this.bySeq = {};
    this.notes = [];
    this.lastSeq = 0;
    this.oldestSeq = null;
    this.loaded = false;
    this.syncing = null;
    this.readOutUpTo = 0;
  }

  merge(messages) {
    for (const message of messages) {
      this.bySeq[message.seq] = { ...(this.bySeq[message.seq] || {}), ...message };
      if (message.seq > this.lastSeq) this.lastSeq = message.seq;
      if (this.oldestSeq === null || message.seq < this.oldestSeq) this.oldestSeq = message.seq;
    }
  }

  hasEarlier() {
    return this.loaded && this.oldestSeq !== null && this.oldestSeq > 1;
  }

  // The newest page: sequence numbers are dense (1..last_seq), so the page starts at last_seq - PAGE.
  async loadLatest(lastSeq) {
    const since = Math.max(0, (lastSeq || 0) - PAGE);
    const [messages, notes] = await Promise.all([
      api("GET", `/api/v1/conversations/${this.id}/messages/?since=${since}&limit=${PAGE + 1}`),
      api("GET", `/api/v1/conversations/${this.id}/notes/`).catch(() => []),
    ]);
    this.merge(messages);
    this.notes = notes;
    this.loaded = true;
    if (this.oldestSeq === null) this.oldestSeq = since + 1;
    await this.syncFrom();
  }

  async loadEarlier() {
    if (!this.hasEarlier()) return;
    const since = Math.max(0, this.oldestSeq - 1 - PAGE);
    const count = this.oldestSeq - 1 - since;
    this.merge(await api("GET", `/api/v1/conversations/${this.id}/messages/?since=${since}&limit=${count}`));
    this.oldestSeq = Math.min(this.oldestSeq, since + 1);
  }

  // Everything after the newest seq held; concurrent calls share one request chain.
  syncFrom() {
    if (!this.syncing) {
      this.syncing = (async () => {
        try {
          for (;;) {
            const page = await api("GET", `/api/v1/conversations/${this.id}/messages/?since=${this.lastSeq}&limit=${SYNC_PAGE}`);
            this.merge(page);
            if (page.length < SYNC_PAGE) break;
          }
        } finally {
          this.syncing = null;
        }
      })();
    }
    return this.syncing;
  }

  // A message.created event: append it, or fetch what came between.
  receive(message) {
    if (message.seq <= this.lastSeq) {
      this.merge([message]);
      return null;
    }
    if (message.seq === this.lastSeq + 1 || !this.loaded) {
      this.merge([message]);
      return null;
    }
    return this.syncFrom();
  }

  // The server says the conversation is at last_seq: fetch what this page has not seen.
  resync(lastSeq) {
    if (this.loaded && lastSeq > this.lastSeq) return this.syncFrom();
    return null;
  }

  addNote(note) {
    if (!this.notes.some((n) => n.id === note.id)) this.notes.push(note);
  }

  markRead(upToSeq) {
    this.readOutUpTo = Math.max(this.readOutUpTo, upToSeq);
  }

  markDelivered(seq) {
    if (this.bySeq[seq]) this.bySeq[seq].delivered_at = this.bySeq[seq].delivered_at || new Date().toISOString();
  }

  // Messages and internal notes in the order they happened, ready for the template.
  items(strings) {
    const messages = Object.values(this.bySeq).map((m) => {
      const outbound = m.direction === "out";
      const read = outbound && (m.read_at || m.seq <= this.readOutUpTo);
      const delivered = outbound && (read || m.delivered_at);
      return {
        key: `m${m.seq}`,
        seq: m.seq,
        body: m.body,
        attachments: m.attachments,
        created_at: m.created_at,
        css: `from-${m.sender_type}${outbound ? " out" : " in"}`,
        ticks: outbound && m.sender_type === "agent" ? (read ? "✓✓" : delivered ? "✓" : "·") : "",
        ticks_title: read ? strings.read : delivered ? strings.delivered : strings.sent,
      };
    });
    const notes = this.notes.map((n) => ({
      key: `n${n.id}`,
      seq: null,
      note: true,
      author_name: n.author_name,
      body: n.body,
      created_at: n.created_at,
      css: "note",
      ticks: "",
    }));
    return messages.concat(notes).sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : (a.seq || 0) - (b.seq || 0)));
  }
}
