'use strict';

// Tells a participant how far their rating or concern got: "sent" only once a channel has
// confirmed it, "queued" until then, or that the program manager will see it on the
// dashboard when no channel carries it.

import { apiRequest } from './api.js';

const POLL_MS = 1000;
const GIVE_UP_MS = 5 * 60_000;

const MESSAGES = {
  sent: (what) => `${what} was sent to your program manager.`,
  queued: (what) => `${what} is saved and queued for your program manager.`,
  dashboard: (what) => `${what} is saved; your program manager will see it on their dashboard.`,
};

export const receiptMessage = (receipt, what) => MESSAGES[receipt.status](what);

// Calls show(receipt) now and whenever it changes, until it is no longer queued.
export async function watchReceipt({ base, token, pick, first, show }) {
  let receipt = first;
  const deadline = Date.now() + GIVE_UP_MS;
  show(receipt);
  while (receipt.status === 'queued' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    try {
      receipt = pick(await apiRequest(`${base}/receipts`, token)) ?? receipt;
    } catch {
      continue; // a dropped poll changes nothing: the fact is stored
    }
    show(receipt);
  }
}
