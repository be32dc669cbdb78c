// The supervisor view: agents with state and load, and the waiting line per queue, kept live by
// the staff socket (agent.state, agent.load, queue.changed) and re-read in full every 15 s and
// after every reconnect, since the socket is only a hint.

import { api } from "./api.js";
import { StaffSocket } from "./socket.js";
import { fmt } from "./strings.js";

const boot = JSON.parse(document.getElementById("desk-boot").textContent);
const S = boot.strings;
const REFRESH_MS = 15000;

const supervisor = {
  S,
  agents: [],
  queues: [],
  connection: "connecting",
  updatedAt: null,
  now: Date.now(),

  init() {
    this.refresh();
    setInterval(() => this.refresh(), REFRESH_MS);
    setInterval(() => { this.now = Date.now(); }, 1000);
    this.socket = new StaffSocket((frame) => this.onFrame(frame), (status) => { this.connection = status; });
    this.socket.connect();
    window.supervisorStore = this;
  },

  async refresh() {
    try {
      const snapshot = await api("GET", "/api/v1/supervisor/");
      this.agents = snapshot.agents;
      this.queues = this.stamped(snapshot.queues);
      this.updatedAt = Date.now();
    } catch (error) {
      this.connection = "closed";
    }
  },

  onFrame(frame) {
    const p = frame.payload || {};
    if (frame.type === "hello") this.refresh();
    else if (frame.type === "queue.changed") { this.queues = this.stamped(p.queues); this.updatedAt = Date.now(); }
    else if (frame.type === "agent.state" || frame.type === "agent.load") {
      const row = this.agents.find((a) => a.agent === p.agent);
      // Not one of this page's agents (a team lead sees their teams only): the next refresh
      // brings anyone new.
      if (!row) return;
      for (const key of ["state", "reason", "since", "after_work_until", "load", "ringing", "shown_state"]) {
        if (key in p) row[key] = p[key];
      }
      if (frame.type === "agent.state" && !("shown_state" in p)) row.shown_state = p.state;
      this.updatedAt = Date.now();
    }
  },

  fmt,
  connectionLabel() { return S.connection[this.connection] || this.connection; },
  updatedText() {
    return this.updatedAt ? fmt(S.supervisor.updated, { t: new Date(this.updatedAt).toLocaleTimeString(document.documentElement.lang) }) : "";
  },
  count(test) { return this.agents.filter(test).length; },
  waiting() { return this.queues.reduce((sum, q) => sum + q.waiting, 0); },
  // The longest wait keeps growing between events while someone waits.
  stamped(queues) { const at = Date.now(); return queues.map((q) => ({ ...q, at })); },
  waitOf(q) { return q.waiting ? (q.longest_wait_s || 0) + Math.max(0, (this.now - q.at) / 1000) : 0; },
  longest() { return this.seconds(Math.max(0, ...this.queues.map((q) => this.waitOf(q)))); },
  seconds(s) {
    if (!s) return "0:00";
    const m = Math.floor(s / 60);
    return `${m}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
  },
  stateLabel(a) { return S.states[a.shown_state] || a.shown_state; },
  since(a) { return a.since ? this.seconds(Math.max(0, (this.now - Date.parse(a.since)) / 1000)) : ""; },
  load(a) { return (a.load || {}).chat || 0; },
  cap(a) { return (a.capacity || {}).chat || 0; },
  loadPct(a) { return this.cap(a) ? Math.min(100, Math.round((100 * this.load(a)) / this.cap(a))) : 0; },
};

document.addEventListener("alpine:init", () => {
  window.Alpine.store("sup", supervisor);
});
