// What the agent does with a conversation besides writing: tickets, the compensation link,
// transfer, wrap-up. Each is one call to the owning app's API.

import { api } from "./api.js";

function emptyTicket() {
  return {
    loading: false, saving: false, error: "", suggested: "", open: [], linked: [], forConversation: null, showForm: true,
    form: { subject: "", category: "", priority: "normal", order_ref: "", note: "" },
  };
}

export const conversationActions = {
  ticket: emptyTicket(),
  transfer: { target: "", note: "", error: "" },
  transferring: null,
  ending: null,
  wrap: { code: "", note: "", error: "", codes: [] },

  ticketReset() { this.ticket = emptyTicket(); },

  async openTicket() {
    if (!this.current) return;
    this.side = "ticket";
    if (this.ticket.forConversation === this.current) return;
    const conversation = this.current;
    this.ticket = { ...emptyTicket(), loading: true, forConversation: conversation };
    try {
      const draft = await api("GET", `/api/v1/conversations/${conversation}/ticket-draft/`);
      if (this.current !== conversation) return;
      this.ticket.form = {
        subject: draft.subject, category: draft.category ? draft.category.code : "", priority: "normal",
        order_ref: draft.order_ref, note: draft.summary,
      };
      this.ticket.suggested = draft.category
        ? this.fmt(this.S.suggested, { name: draft.category.name, pct: Math.round(100 * draft.category.confidence) })
        : "";
      this.ticket.open = draft.open_tickets;
    } catch (error) {
      this.ticket.error = error.message;
    } finally {
      this.ticket.loading = false;
    }
  },

  async createTicket() {
    const conversation = this.current;
    const row = this.info(conversation);
    if (!row || this.ticket.saving) return;
    this.ticket.saving = true;
    this.ticket.error = "";
    try {
      const created = await api("POST", "/api/v1/tickets/", {
        customer: row.customer.id, conversations: [conversation], assignee: this.user.id, ...this.ticket.form,
      });
      this.ticket.linked.push({ number: created.number, subject: created.subject, status: created.status });
      this.ticket.showForm = false; // one ticket per click: a second one is asked for on purpose
      this.notify(this.fmt(this.S.ticket_created, { number: created.number }));
    } catch (error) {
      this.ticket.error = error.message;
    } finally {
      this.ticket.saving = false;
    }
  },

  async linkTicket(ticket) {
    try {
      await api("POST", `/api/v1/tickets/${ticket.number}/conversations/`, { conversation: this.current });
      this.ticket.open = this.ticket.open.filter((t) => t.number !== ticket.number);
      this.ticket.linked.push(ticket);
      this.ticket.showForm = false;
      this.notify(this.fmt(this.S.ticket_linked, { number: ticket.number }));
    } catch (error) {
      this.ticket.error = error.message;
    }
  },

  async ticketStatus(ticket, status) {
    try {
      const updated = await api("POST", `/api/v1/tickets/${ticket.number}/status/`, { status });
      ticket.status = updated.status;
    } catch (error) {
      this.notify(error.message, "bad");
    }
  },

  async sendCompensation(ticket) {
    try {
      const sent = await api("POST", `/api/v1/conversations/${this.current}/compensation-link/`, { ticket: ticket.number });
      if (this.threads[this.current]) this.threads[this.current].receive(sent.message);
      this.notify(this.S.compensation_sent);
    } catch (error) {
      this.notify(error.message, "bad");
    }
  },

  openTransfer() {
    this.transfer = { target: "", note: "", error: "" };
    document.querySelector("[data-testid=transfer-dialog]").showModal();
  },

  async doTransfer(dialog) {
    const [kind, id] = this.transfer.target.split(":");
    const conversation = this.current;
    if (!kind || !conversation) return;
    this.transferring = conversation;
    try {
      await api("POST", `/api/v1/conversations/${conversation}/transfer/`, { [kind]: Number(id), note: this.transfer.note });
      dialog.close();
      this.drop(conversation, this.S.transferred);
    } catch (error) {
      this.transfer.error = error.message;
    } finally {
      this.transferring = null;
    }
  },

  async openWrapUp() {
    this.wrap = { ...this.wrap, code: "", note: "", error: "" };
    document.querySelector("[data-testid=wrap-dialog]").showModal();
    if (!this.wrap.codes.length) {
      try {
        this.wrap.codes = await api("GET", "/api/v1/wrap-up-codes/");
      } catch (error) {
        this.wrap.error = error.message;
      }
    }
  },

  async doWrapUp(dialog) {
    const conversation = this.current;
    if (!this.wrap.code || !conversation) return;
    this.ending = conversation;
    try {
      await api("POST", `/api/v1/conversations/${conversation}/wrap-up/`, { code: this.wrap.code, note: this.wrap.note });
      dialog.close();
      this.drop(conversation, this.S.wrapped);
    } catch (error) {
      this.wrap.error = error.message;
    } finally {
      this.ending = null;
    }
  },
};
