// JSON calls to the tenant's API with the session cookie and the CSRF token.
// A refusal becomes an ApiError whose message is the server's translated explanation.

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// The first readable message of a DRF error body: {"detail": ...} or {"field": ["..."]}.
export function errorText(body, fallback) {
  if (!body || typeof body !== "object") return fallback;
  if (typeof body.detail === "string") return body.detail;
  for (const value of Object.values(body)) {
    if (typeof value === "string") return value;
    if (Array.isArray(value) && typeof value[0] === "string") return value[0];
    if (value && typeof value === "object") {
      const inner = errorText(value, "");
      if (inner) return inner;
    }
  }
  return fallback;
}

export async function api(method, path, data, { fallback = "Request failed" } = {}) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (data instanceof FormData) {
    options.body = data;
    options.headers["X-CSRFToken"] = csrfToken();
  } else if (data !== undefined) {
    options.body = JSON.stringify(data);
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRFToken"] = csrfToken();
  } else if (method !== "GET") {
    options.headers["X-CSRFToken"] = csrfToken();
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    throw new ApiError(0, fallback, null);
  }
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, errorText(body, fallback), body);
  return body;
}

export async function html(path) {
  const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) throw new ApiError(response.status, response.statusText, null);
  return response.text();
}
