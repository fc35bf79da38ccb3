'use strict';

import { apiRequest } from '../common/api.js';
import { showLocalTimes } from '../common/time.js';
import { inviteToken } from '../common/signalling.js';
import { receiptMessage, watchReceipt } from '../common/receipts.js';

const sessionId = document.body.dataset.sessionId;
const ratingForm = document.querySelector('#rating-form');
const ratingStatus = document.querySelector('#rating-status');
const concernForm = document.querySelector('#concern-form');
const concernStatus = document.querySelector('#concern-status');
const token = inviteToken();
const base = `/api/sessions/${encodeURIComponent(sessionId)}`;

showLocalTimes();

// On a phone the wide tables scroll sideways inside the card; a keyboard must reach them too.
for (const table of document.querySelectorAll('.summary-table')) {
  table.tabIndex = 0;
  table.setAttribute('aria-label', table.previousElementSibling?.textContent ?? 'Summary table');
}

// A participant's downloads need the same invite token as this page; the program manager's
// go by the sign-in cookie and stay plain.
for (const link of document.querySelectorAll('#download-md, #download-json')) {
  const path = link.id === 'download-md' ? 'summary.md' : 'summary';
  link.href = token ? `${base}/${path}?token=${encodeURIComponent(token)}` : `${base}/${path}`;
}

function showIn(status, what) {
  return (receipt) => {
    status.textContent = receiptMessage(receipt, what);
    status.dataset.tone = receipt.status === 'queued' ? '' : 'ok';
    status.dataset.receipt = receipt.status;
  };
}

async function submit(form, status, path, body) {
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  status.textContent = 'Sending…';
  status.dataset.tone = '';
  try {
    return await apiRequest(`${base}/${path}`, token, { method: 'POST', body });
  } catch (error) {
    status.textContent = `Not sent: ${error.message}`;
    status.dataset.tone = 'error';
    return null;
  } finally {
    button.disabled = false;
  }
}

ratingForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(ratingForm);
  const body = {
    score: Number(data.get('score')),
    comment: String(data.get('comment') ?? ''),
    shared: data.get('shared') === 'on',
  };
  const answer = await submit(ratingForm, ratingStatus, 'rating', body);
  if (!answer) return;
  ratingForm.querySelector('button[type=submit]').textContent = 'Update rating';
  watchReceipt({ base, token, pick: (receipts) => receipts.rating, first: answer.rating, show: showIn(ratingStatus, 'Your rating') });
});

concernForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = String(new FormData(concernForm).get('text') ?? '');
  const answer = await submit(concernForm, concernStatus, 'concerns', { text });
  if (!answer) return;
  concernForm.reset();
  const last = (receipts) => receipts.concerns.at(-1);
  watchReceipt({ base, token, pick: last, first: last(answer), show: showIn(concernStatus, 'Your concern') });
});
