'use strict';

// Every request to our own API goes through here: JSON in, JSON (or, for downloads, a Blob)
// out, with a bearer token (participants) or none (the signed-in program manager, whose
// cookie goes along); errors carry the server's message and status.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function apiRequest(path, token, { method = 'GET', body, headers = {}, as = 'json' } = {}) {
  const response = await fetch(path, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.ok && as === 'blob') return response.blob();
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, payload.error ?? response.statusText);
  return payload;
}
