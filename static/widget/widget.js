/*
 * The web chat widget. A shop pastes one tag into its pages:
 *
 *   <script src="https://<tenant host>/static/widget/widget.js" data-channel="<id>" async></script>
 *
 * No build step, no dependencies. Everything the visitor types is shown with textContent, so
 * markup stays text. The database is the truth: the widget remembers the last sequence number
 * it saw and asks for what came after it whenever the socket comes back; messages typed while
 * offline wait in a queue and are re-sent with the same client id, which the server stores once.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.getAttribute("data-channel")) {
    if (window.console) console.error("[chat widget] the script tag needs data-channel=\"<id>\"");
    return;
  }
  var CHANNEL = script.getAttribute("data-channel");
  var BASE = new URL(script.src, location.href).origin;
  var WS_URL = BASE.replace(/^http/, "ws") + "/ws/widget/?channel=" + encodeURIComponent(CHANNEL);
  var STORE_KEY = "cc-widget:" + BASE + ":" + CHANNEL;
  var MAX_BACKOFF_MS = 30000;

  var TEXT = {
    "zh-hans": {
      open: "在线客服", close: "关闭", send: "发送", placeholder: "请输入消息…", attach: "发送图片或文件",
      name: "您的称呼", phone: "手机号", topic: "咨询类型", start: "开始咨询", skip: "跳过",
      prechat: "留下联系方式，方便客服更快帮到您：", connecting: "正在连接…", offline: "网络已断开，正在重连…",
      sending: "发送中", failed: "发送失败，点此重试", typing: "客服正在输入…", resolved: "本次会话已结束，发送消息可开始新的咨询。",
      queue: "您前面还有 {n} 位顾客，预计等待 {m} 分钟。", queueNoEta: "您前面还有 {n} 位顾客，请稍候。",
      queueNext: "马上为您接入客服…", assigned: "客服 {name} 正在为您服务。", uploading: "上传中 {p}%",
      uploadFailed: "上传失败：", you: "我", agent: "客服", file: "文件", tooLong: "消息最多 4000 字。",
      required: "请填写称呼和手机号。"
    },
    en: {
      open: "Chat with us", close: "Close", send: "Send", placeholder: "Type a message…", attach: "Send a picture or file",
      name: "Your name", phone: "Phone number", topic: "Topic", start: "Start chat", skip: "Skip",
      prechat: "Leave your details so we can help you faster:", connecting: "Connecting…", offline: "Offline, reconnecting…",
      sending: "Sending", failed: "Not sent, tap to retry", typing: "An agent is typing…", resolved: "This chat has ended. Send a message to start a new one.",
      queue: "{n} customers ahead of you, about {m} min wait.", queueNoEta: "{n} customers ahead of you, please hold on.",
      queueNext: "Connecting you to an agent…", assigned: "{name} is now serving you.", uploading: "Uploading {p}%",
      uploadFailed: "Upload failed: ", you: "Me", agent: "Agent", file: "File", tooLong: "Messages can be at most 4000 characters.",
      required: "Please enter your name and phone number."
    }
  };

  var state = {
    config: null, lang: "zh-hans", token: null, lastSeq: 0, conversation: null, status: null,
    socket: null, ready: false, backoff: 1000, seen: {}, pending: [], open: false, typingSent: 0, typingTimer: null
  };
  var ui = {};

  function t(key, values) {
    var text = (TEXT[state.lang] || TEXT.en)[key] || key;
    for (var name in values || {}) text = text.replace("{" + name + "}", String(values[name]));
    return text;
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE_KEY) || "{}"); } catch (e) { return {}; }
  }

  function save() {
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify({ token: state.token, conversation: state.conversation }));
    } catch (e) { /* private mode: the chat still works for this page view */ }
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "m" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) node.setAttribute(key, attrs[key]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function request(method, path, body) {
    var headers = {};
    if (state.token) headers.Authorization = "Visitor " + state.token;
    return fetch(BASE + path, { method: method, headers: headers, body: body, credentials: "omit" }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw Object.assign(new Error(data.detail || r.statusText), { status: r.status, data: data });
        return data;
      });
    });
  }

  // ---- the page ----------------------------------------------------------------------------
  var CSS =
    ":host{all:initial}*{box-sizing:border-box;font-family:-apple-system,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif}" +
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;padding:14px 20px;color:#fff;font-size:15px;cursor:pointer;box-shadow:0 4px 16px rgba(0,0,0,.2)}" +
    ".panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:360px;height:540px;max-height:calc(100vh - 104px);background:#fff;border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.25);display:none;flex-direction:column;overflow:hidden;font-size:14px;color:#1f1f1f}" +
    ".panel.open{display:flex}.head{color:#fff;padding:12px 16px;display:flex;justify-content:space-between;align-items:center;font-weight:600}" +
    ".head button{background:none;border:0;color:#fff;font-size:20px;cursor:pointer}" +
    ".status{font-size:12px;padding:4px 12px;background:#fff7e6;color:#ad6800;display:none}.status.show{display:block}" +
    ".list{flex:1;overflow-y:auto;padding:12px;background:#f5f6f7}" +
    ".msg{max-width:78%;margin:6px 0;padding:8px 12px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word;line-height:1.5}" +
    ".msg.in{margin-left:auto;color:#fff}.msg.out,.msg.sys{background:#fff;border:1px solid #e5e6eb}.msg.sys{max-width:100%;color:#595959;font-size:13px;text-align:center;background:none;border:0}" +
    ".msg img{max-width:100%;border-radius:6px;display:block}.msg a{color:inherit}.meta{font-size:11px;opacity:.75;margin-top:2px}" +
    ".msg.failed{opacity:.7;cursor:pointer;outline:1px dashed #f5222d}" +
    ".typing{font-size:12px;color:#8c8c8c;padding:0 12px;height:18px}" +
    ".compose{display:flex;gap:6px;padding:8px;border-top:1px solid #e5e6eb;align-items:flex-end}" +
    ".compose textarea{flex:1;resize:none;border:1px solid #d9d9d9;border-radius:8px;padding:8px;font-size:14px;max-height:96px}" +
    ".compose button{border:0;border-radius:8px;padding:8px 12px;color:#fff;cursor:pointer;font-size:14px}.compose .attach{background:#f0f0f0;color:#595959}" +
    ".prechat{padding:16px;display:flex;flex-direction:column;gap:8px;background:#fff}.prechat input,.prechat select{border:1px solid #d9d9d9;border-radius:6px;padding:8px;font-size:14px}" +
    ".prechat .row{display:flex;gap:8px}.prechat button{flex:1;border:0;border-radius:6px;padding:9px;color:#fff;cursor:pointer}.prechat .skip{background:#f0f0f0;color:#595959}" +
    ".error{color:#cf1322;font-size:12px;min-height:16px}.progress{height:3px;background:#e5e6eb}.progress div{height:3px;width:0}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100vh;max-height:100vh;border-radius:0}.launcher{right:12px;bottom:12px}}";

  function build() {
    var host = el("div", { id: "cc-chat-widget" });
    document.body.appendChild(host);
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    root.appendChild(el("style", {}, CSS));
    var color = state.config.color;

    ui.launcher = el("button", { class: "launcher", type: "button", "aria-haspopup": "dialog" }, t("open"));
    ui.launcher.style.background = color;
    ui.panel = el("div", { class: "panel", role: "dialog", "aria-label": t("open") });
    var head = el("div", { class: "head" });
    head.style.background = color;
    head.appendChild(el("span", {}, state.config.name || t("open")));
    var close = el("button", { type: "button", "aria-label": t("close") }, "×");
    head.appendChild(close);
    ui.status = el("div", { class: "status", role: "status" });
    ui.list = el("div", { class: "list", "aria-live": "polite" });
    ui.typing = el("div", { class: "typing" });
    ui.progress = el("div", { class: "progress" });
    ui.progressBar = el("div");
    ui.progressBar.style.background = color;
    ui.progress.appendChild(ui.progressBar);
    ui.progress.style.display = "none";
    ui.compose = el("form", { class: "compose" });
    ui.file = el("input", { type: "file", accept: "image/jpeg,image/png,image/gif,image/webp,application/pdf,text/plain", hidden: "" });
    var attach = el("button", { class: "attach", type: "button", title: t("attach"), "aria-label": t("attach") }, "📎");
    ui.input = el("textarea", { rows: "1", placeholder: t("placeholder"), maxlength: "4000", "aria-label": t("placeholder") });
    var send = el("button", { type: "submit" }, t("send"));
    send.style.background = color;
    ui.compose.appendChild(ui.file);
    ui.compose.appendChild(attach);
    ui.compose.appendChild(ui.input);
    ui.compose.appendChild(send);
    ui.panel.appendChild(head);
    ui.panel.appendChild(ui.status);
    ui.panel.appendChild(ui.list);
    ui.panel.appendChild(ui.typing);
    ui.panel.appendChild(ui.progress);
    ui.panel.appendChild(ui.compose);
    root.appendChild(ui.launcher);
    root.appendChild(ui.panel);

    ui.launcher.addEventListener("click", function () { toggle(!state.open); });
    close.addEventListener("click", function () { toggle(false); });
    attach.addEventListener("click", function () { ui.file.click(); });
    ui.file.addEventListener("change", function () { if (ui.file.files[0]) upload(ui.file.files[0]); ui.file.value = ""; });
    ui.compose.addEventListener("submit", function (e) { e.preventDefault(); sendText(); });
    ui.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendText(); }
    });
    ui.input.addEventListener("input", typingChanged);

    var greeting = state.config.greeting[state.lang] || state.config.greeting.en || "";
    if (greeting) system(greeting);
  }

  function toggle(open) {
    state.open = open;
    ui.panel.classList.toggle("open", open);
    ui.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      maybePrechat();
      ui.input.focus();
      markRead();
    }
  }

  function showStatus(text) {
    ui.status.textContent = text || "";
    ui.status.classList.toggle("show", !!text);
  }

  function system(text) {
    var node = el("div", { class: "msg sys" }, text);
    ui.list.appendChild(node);
    scroll();
    return node;
  }

  function scroll() { ui.list.scrollTop = ui.list.scrollHeight; }

  function safeUrl(url) {
    return typeof url === "string" && (/^https?:\/\//i.test(url) || url.indexOf("/channels/files/") === 0)
      ? (url.charAt(0) === "/" ? BASE + url : url) : null;
  }

  function renderBody(node, message) {
    node.textContent = "";
    if (message.body) node.appendChild(document.createTextNode(message.body));
    (message.attachments || []).forEach(function (file) {
      var url = safeUrl(file.url);
      if (!url) return;
      if (/^image\//.test(file.content_type || "")) {
        var img = el("img", { src: url, alt: file.name || "", loading: "lazy" });
        node.appendChild(img);
      } else {
        node.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, (file.name || t("file"))));
      }
    });
  }

  function render(message, pendingNode) {
    if (message.id && state.seen[message.id]) return state.seen[message.id];
    var mine = message.direction === "in";
    var node = pendingNode || el("div", { class: "msg " + (mine ? "in" : "out") });
    if (mine) node.style.background = state.config.color;
    node.classList.remove("failed");
    renderBody(node, message);
    var meta = el("div", { class: "meta" }, mine ? t("you") : t("agent"));
    if (message.created_at) meta.textContent += " · " + new Date(message.created_at).toLocaleTimeString(state.lang === "en" ? "en" : "zh-CN", { hour: "2-digit", minute: "2-digit" });
    node.appendChild(meta);
    if (!pendingNode) { ui.list.appendChild(node); }
    if (message.id) state.seen[message.id] = node;
    if (message.seq && message.conversation === state.conversation && message.seq > state.lastSeq) {
      state.lastSeq = message.seq;
      save();
    }
    scroll();
    return node;
  }

  // ---- pre-chat -----------------------------------------------------------------------------
  function maybePrechat() {
    var mode = state.config.prechat;
    if (mode === "off" || state.conversation || ui.prechat || state.prechatDone) return;
    var form = el("form", { class: "prechat" });
    form.appendChild(el("div", {}, t("prechat")));
    var name = el("input", { name: "name", maxlength: "60", placeholder: t("name"), autocomplete: "name" });
    var phone = el("input", { name: "phone", type: "tel", maxlength: "20", placeholder: t("phone"), autocomplete: "tel" });
    form.appendChild(name);
    form.appendChild(phone);
    var topic = null;
    if (state.config.topics.length) {
      topic = el("select", { name: "topic", "aria-label": t("topic") });
      topic.appendChild(el("option", { value: "" }, t("topic")));
      state.config.topics.forEach(function (x) { topic.appendChild(el("option", { value: x }, x)); });
      form.appendChild(topic);
    }
    var error = el("div", { class: "error", role: "alert" });
    form.appendChild(error);
    var row = el("div", { class: "row" });
    var start = el("button", { type: "submit" }, t("start"));
    start.style.background = state.config.color;
    row.appendChild(start);
    if (mode === "optional") {
      var skip = el("button", { class: "skip", type: "button" }, t("skip"));
      skip.addEventListener("click", function () { finishPrechat(); });
      row.appendChild(skip);
    }
    form.appendChild(row);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (mode === "required" && !(name.value.trim() && phone.value.trim())) { error.textContent = t("required"); return; }
      state.prechatError = error;
      // Kept until answered: a form sent while the socket is still connecting goes out on "ready".
      state.pendingStart = { type: "chat.start", name: name.value.trim(), phone: phone.value.trim(), topic: topic ? topic.value : "" };
      sendFrame(state.pendingStart);
    });
    ui.prechat = form;
    ui.panel.insertBefore(form, ui.list);
    ui.compose.style.display = mode === "required" ? "none" : "flex";
  }

  function finishPrechat() {
    state.prechatDone = true;
    if (ui.prechat) { ui.prechat.remove(); ui.prechat = null; }
    ui.compose.style.display = "flex";
    ui.input.focus();
  }

  // ---- sending ------------------------------------------------------------------------------
  function sendFrame(frame) {
    if (state.socket && state.ready && state.socket.readyState === 1) { state.socket.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function queueMessage(frame, node) {
    var item = { frame: frame, node: node };
    state.pending.push(item);
    sendFrame(frame);
  }

  function sendText() {
    var text = ui.input.value;
    if (!text.trim()) return;
    if (text.length > 4000) { system(t("tooLong")); return; }
    ui.input.value = "";
    var frame = { type: "message.send", body: text, client_msg_id: newId() };
    var node = render({ direction: "in", body: text });
    node.querySelector(".meta").textContent = t("sending");
    queueMessage(frame, node);
    stopTyping();
  }

  function upload(file) {
    if (file.size > state.config.max_upload_mb * 1024 * 1024) {
      system(t("uploadFailed") + state.config.max_upload_mb + " MB"); return;
    }
    var data = new FormData();
    data.append("file", file);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", BASE + "/channels/widget/" + encodeURIComponent(CHANNEL) + "/uploads/");
    xhr.setRequestHeader("Authorization", "Visitor " + state.token);
    ui.progress.style.display = "block";
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.round((e.loaded / e.total) * 100);
      ui.progressBar.style.width = percent + "%";
      showStatus(t("uploading", { p: percent }));
    };
    xhr.onloadend = function () {
      ui.progress.style.display = "none";
      ui.progressBar.style.width = "0";
      showStatus(state.ready ? "" : t("offline"));
      var body = {};
      try { body = JSON.parse(xhr.responseText || "{}"); } catch (e) { /* shown below */ }
      if (xhr.status !== 201) {
        var reason = (body.errors && body.errors.file && body.errors.file[0]) || body.detail || xhr.statusText || "";
        system(t("uploadFailed") + reason);
        return;
      }
      var frame = { type: "message.send", body: "", attachments: [body.reference], client_msg_id: newId() };
      var node = render({ direction: "in", attachments: [body] });
      node.querySelector(".meta").textContent = t("sending");
      queueMessage(frame, node);
    };
    xhr.send(data);
  }

  function typingChanged() {
    var now = Date.now();
    if (now - state.typingSent > 3000) { sendFrame({ type: "typing", is_typing: true }); state.typingSent = now; }
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(stopTyping, 4000);
  }

  function stopTyping() {
    clearTimeout(state.typingTimer);
    if (state.typingSent) { sendFrame({ type: "typing", is_typing: false }); state.typingSent = 0; }
  }

  function markRead() {
    if (state.open && state.conversation && state.lastSeq) sendFrame({ type: "read", up_to_seq: state.lastSeq });
  }

  // ---- the socket ---------------------------------------------------------------------------
  function connect() {
    state.ready = false;
    showStatus(t("connecting"));
    var socket = new WebSocket(WS_URL);
    state.socket = socket;
    socket.onopen = function () {
      state.backoff = 1000;
      var hello = { type: "hello", token: state.token };
      if (state.conversation) hello.since = state.lastSeq;
      socket.send(JSON.stringify(hello));
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    socket.onclose = function (event) {
      if (state.socket !== socket) return;
      state.ready = false;
      showStatus(t("offline"));
      if (event.code === 4401) { state.token = null; save(); }
      var wait = state.backoff + Math.random() * 500;
      state.backoff = Math.min(state.backoff * 2, MAX_BACKOFF_MS);
      setTimeout(start, wait);
    };
  }

  function flushPending() {
    state.pending.forEach(function (item) { sendFrame(item.frame); });
  }

  function acknowledge(message) {
    for (var i = 0; i < state.pending.length; i++) {
      if (state.pending[i].frame.client_msg_id === message.client_msg_id) {
        var item = state.pending.splice(i, 1)[0];
        render(message, item.node);
        return true;
      }
    }
    return false;
  }

  function adopt(conversation) {
    if (conversation && conversation !== state.conversation) {
      state.conversation = conversation;
      state.lastSeq = 0;
      save();
    }
  }

  function handle(frame) {
    var p = frame.payload || {};
    switch (frame.type) {
      case "ready":
        state.ready = true;
        showStatus("");
        if (p.conversation !== state.conversation) { state.conversation = p.conversation; state.lastSeq = 0; save(); if (p.conversation) sendFrame({ type: "sync", since: 0 }); }
        state.status = p.status;
        if (p.conversation) finishPrechat();
        if (state.pendingStart) sendFrame(state.pendingStart);
        flushPending();
        break;
      case "messages":
        if (p.conversation) adopt(p.conversation);
        (p.items || []).forEach(function (m) { if (!acknowledge(m)) render(m); });
        if (p.more) sendFrame({ type: "sync", since: state.lastSeq });
        markRead();
        break;
      case "chat.started":
        state.pendingStart = null;
        adopt(p.conversation);
        finishPrechat();
        break;
      case "message.ack":
        adopt(p.conversation);
        if (!acknowledge(p)) render(p);
        finishPrechat();
        break;
      case "message.created":
        if (p.conversation !== state.conversation) adopt(p.conversation);
        if (p.seq > state.lastSeq + 1 && state.lastSeq > 0) { sendFrame({ type: "sync", since: state.lastSeq }); }
        if (!acknowledge(p)) render(p);
        if (p.direction === "out") { ui.typing.textContent = ""; markRead(); }
        break;
      case "typing":
        ui.typing.textContent = p.is_typing ? t("typing") : "";
        clearTimeout(state.agentTypingTimer);
        if (p.is_typing) state.agentTypingTimer = setTimeout(function () { ui.typing.textContent = ""; }, 6000);
        break;
      case "queue.position":
        // position is the place in line (1 = next); the customer is told how many are ahead.
        ui.queueNode = ui.queueNode || system("");
        var ahead = Math.max(0, (p.position || 1) - 1);
        ui.queueNode.textContent = ahead === 0 ? t("queueNext")
          : p.estimated_wait_s ? t("queue", { n: ahead, m: Math.max(1, Math.round(p.estimated_wait_s / 60)) })
          : t("queueNoEta", { n: ahead });
        break;
      case "contact.assigned":
        if (ui.queueNode) { ui.queueNode.remove(); ui.queueNode = null; }
        system(t("assigned", { name: p.agent_name || t("agent") }));
        break;
      case "conversation.resolved":
        state.status = "resolved";
        if (ui.queueNode) { ui.queueNode.remove(); ui.queueNode = null; }
        system(t("resolved"));
        break;
      case "error":
        if (frame.ref) {
          for (var i = 0; i < state.pending.length; i++) {
            if (state.pending[i].frame.client_msg_id === frame.ref) {
              var item = state.pending.splice(i, 1)[0];
              item.node.classList.add("failed");
              item.node.querySelector(".meta").textContent = (frame.detail || "") + " · " + t("failed");
              item.node.onclick = (function (it) { return function () { it.node.onclick = null; it.node.classList.remove("failed"); queueMessage(it.frame, it.node); }; })(item);
            }
          }
        } else if (state.prechatError && ui.prechat) {
          state.pendingStart = null;
          state.prechatError.textContent = frame.detail || "";
        } else if (frame.detail) {
          system(frame.detail);
        }
        break;
    }
  }

  function start() {
    var ensureToken = state.token
      ? Promise.resolve()
      : request("POST", "/channels/widget/" + encodeURIComponent(CHANNEL) + "/visitors/").then(function (data) {
        state.token = data.token; state.conversation = null; state.lastSeq = 0; save();
      });
    ensureToken.then(connect, function () {
      showStatus(t("offline"));
      setTimeout(start, state.backoff);
      state.backoff = Math.min(state.backoff * 2, MAX_BACKOFF_MS);
    });
  }

  function init() {
    var saved = load();
    state.token = saved.token || null;
    state.conversation = saved.conversation || null;
    state.lastSeq = 0; // each page view shows the whole conversation, then only what is new
    request("GET", "/channels/widget/" + encodeURIComponent(CHANNEL) + "/config/").then(function (config) {
      state.config = config;
      var wanted = config.language === "auto" ? ((navigator.language || "zh").toLowerCase().indexOf("zh") === 0 ? "zh-hans" : "en") : config.language;
      state.lang = TEXT[wanted] ? wanted : "en";
      build();
      start();
      window.addEventListener("online", function () { if (!state.ready && state.socket) state.socket.close(); });
    }, function (error) {
      if (window.console) console.error("[chat widget] cannot load the widget settings:", error.message);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
