// The staff socket (/ws/staff/): reconnects with backoff, pings every 20 s (the agent's presence
// heartbeat), and hands every event to the desk. The database stays the truth: after a reconnect
// the desk re-reads its state (hello, then resubscribe and resync by seq).

const PING_MS = 20000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10000];

export class StaffSocket {
  constructor(onEvent, onStatus) {
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.stopped = false;
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws/staff/");
    this.ws = ws;
    this.onStatus(this.attempt ? "reconnecting" : "connecting");
    ws.onopen = () => {
      this.attempt = 0;
      this.onStatus("open");
      clearInterval(this.timer);
      this.timer = setInterval(() => this.send({ type: "ping" }), PING_MS);
    };
    ws.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      this.onEvent(frame);
    };
    ws.onclose = (event) => {
      clearInterval(this.timer);
      if (this.ws !== ws) return;
      if (event.code === 4403 || this.stopped) {
        this.onStatus("closed");
        return;
      }
      const wait = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
      this.attempt += 1;
      this.onStatus("reconnecting");
      setTimeout(() => this.connect(), wait);
    };
  }

  // For tests and for "reconnect now": drop the socket as a network cut would.
  drop() {
    if (this.ws) this.ws.close();
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }
}
