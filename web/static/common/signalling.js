'use strict';

// The participant's link to the room hub: one WebSocket that says hello with the invite
// token, reconnects with backoff when the network drops, and turns server messages into
// DOM events ("welcome", "peer", "signal", "state", "error") on the channel.

// Refused, replaced by a newer window, or flooding: retrying cannot help. Any other close,
// "try later" (4013) included, is retried with backoff.
const FINAL_CLOSE_CODES = new Set([4003, 4009, 4029]);
const MAX_BACKOFF_MS = 8000;

export function inviteToken() {
  return new URLSearchParams(location.search).get('token') ?? '';
}

// One id per browser tab: a reload keeps it (so the server lets the tab back in at once),
// another tab or device gets a new one (so it cannot push out whoever is in the room).
export function tabClientId() {
  const key = 'mentormeet.client-id';
  let id = sessionStorage.getItem(key);
  if (!id) {
    id = crypto.randomUUID();
    sessionStorage.setItem(key, id);
  }
  return id;
}

export class RoomChannel extends EventTarget {
  #socket = null;
  #attempt = 0;
  #stopped = false;
  #timer = null;
  #takeOver = false;

  constructor(token) {
    super();
    this.token = token;
    this.clientId = tabClientId();
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/ws`);
    this.#socket = socket;
    socket.addEventListener('open', () => {
      this.#attempt = 0;
      const hello = { type: 'hello', token: this.token, client_id: this.clientId };
      this.send(this.#takeOver ? { ...hello, take_over: true } : hello);
      this.#takeOver = false;
    });
    socket.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.dispatchEvent(new CustomEvent(message.type, { detail: message }));
    });
    socket.addEventListener('close', (event) => {
      if (socket !== this.#socket) return;
      if (this.#stopped || FINAL_CLOSE_CODES.has(event.code)) {
        this.dispatchEvent(new CustomEvent('closed', { detail: { code: event.code } }));
        return;
      }
      const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** this.#attempt) * (0.75 + Math.random() / 2);
      this.#attempt += 1;
      this.dispatchEvent(new CustomEvent('reconnecting', { detail: { delay } }));
      this.#timer = setTimeout(() => this.connect(), delay);
    });
  }

  // "Use this window": join now, closing this participant's other window.
  takeOver() {
    clearTimeout(this.#timer);
    this.#takeOver = true;
    this.#attempt = 0;
    this.connect();
  }

  get open() {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  send(message) {
    if (!this.open) return false;
    this.#socket.send(JSON.stringify(message));
    return true;
  }

  close() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#socket?.close(1000, 'bye');
  }
}
