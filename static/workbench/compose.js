// The reply box: text, images, internal notes, "/" for canned responses, typing signals.

import { api } from "./api.js";

const TYPING_EVERY_MS = 3000;
const TYPING_IDLE_MS = 4000;

function messageId() {
  return (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`).slice(0, 64);
}

export const composeActions = {
  compose: { text: "", note: false, sending: false, error: "", status: "" },
  canned: { open: false, items: [], index: 0, query: null },
  typingSentAt: 0,
  typingIdle: null,

  onComposeInput() {
    this.compose.error = "";
    const text = this.compose.text;
    if (!this.compose.note && text.startsWith("/") && !text.includes("\n")) this.searchCanned(text.slice(1));
    else this.canned.open = false;
    this.signalTyping();
  },

  signalTyping() {
    if (this.compose.note || !this.current) return;
    const conversation = this.current;
    if (Date.now() - this.typingSentAt > TYPING_EVERY_MS) {
      this.typingSentAt = Date.now();
      this.socket.send({ type: "typing", conversation, is_typing: true });
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => {
      this.typingSentAt = 0;
      this.socket.send({ type: "typing", conversation, is_typing: false });
    }, TYPING_IDLE_MS);
  },

  async searchCanned(query) {
    this.canned.query = query;
    const conversation = this.current;
    try {
      const items = await api("GET", `/api/v1/canned-responses/?q=${encodeURIComponent(query)}&conversation=${conversation}&limit=8`);
      if (this.canned.query !== query || this.current !== conversation) return;
      this.canned.items = items;
      this.canned.index = 0;
      this.canned.open = true;
    } catch (error) {
      this.canned.open = false;
      this.compose.error = error.message;
    }
  },

  pickCanned(index) {
    const item = this.canned.items[index];
    if (!item) return;
    this.compose.text = item.text;
    this.canned.open = false;
    const box = document.getElementById("compose-text");
    if (box) box.focus();
  },

  onComposeKey(event) {
    if (this.canned.open) {
      const count = this.canned.items.length;
      if (event.key === "ArrowDown" && count) { event.preventDefault(); this.canned.index = (this.canned.index + 1) % count; return; }
      if (event.key === "ArrowUp" && count) { event.preventDefault(); this.canned.index = (this.canned.index - 1 + count) % count; return; }
      if ((event.key === "Enter" || event.key === "Tab") && count) { event.preventDefault(); this.pickCanned(this.canned.index); return; }
      if (event.key === "Escape") { event.preventDefault(); this.canned.open = false; return; }
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.send();
    }
  },

  async send() {
    const text = this.compose.text;
    const conversation = this.current;
    if (!text.trim() || this.compose.sending || !conversation) return;
    this.compose.sending = true;
    this.compose.error = "";
    try {
      if (this.compose.note) {
        const note = await api("POST", `/api/v1/conversations/${conversation}/notes/`, { body: text });
        if (this.threads[conversation]) this.threads[conversation].addNote(note);
      } else {
        const message = await api("POST", `/api/v1/conversations/${conversation}/messages/`, {
          kind: "text", body: text, client_msg_id: messageId(),
        });
        if (this.threads[conversation]) this.threads[conversation].receive(message);
      }
      // The text is cleared only once stored: a failed send keeps what the agent wrote.
      if (this.compose.text === text) this.compose.text = "";
      this.socket.send({ type: "typing", conversation, is_typing: false });
      this.scrollThread();
    } catch (error) {
      this.compose.error = error.message;
    } finally {
      this.compose.sending = false;
    }
  },

  async sendImage(event) {
    const input = event.target;
    const file = input.files && input.files[0];
    const conversation = this.current;
    input.value = "";
    if (!file || !conversation) return;
    this.compose.error = "";
    this.compose.status = this.fmt(this.S.uploading, { name: file.name });
    try {
      const form = new FormData();
      form.append("file", file);
      const attachment = await api("POST", "/api/v1/uploads/", form);
      const message = await api("POST", `/api/v1/conversations/${conversation}/messages/`, {
        kind: "image", body: "", attachments: [attachment], client_msg_id: messageId(),
      });
      if (this.threads[conversation]) this.threads[conversation].receive(message);
      this.scrollThread();
    } catch (error) {
      this.compose.error = error.message;
    } finally {
      this.compose.status = "";
    }
  },
};
