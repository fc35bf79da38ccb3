'use strict';

import { apiRequest } from '../common/api.js';
import { inviteToken } from '../common/signalling.js';

const sessionId = document.body.dataset.sessionId;
const ratingForm = document.querySelector('#rating-form');
const ratingStatus = document.querySelector('#rating-status');
const concernForm = document.querySelector('#concern-form');
const concernStatus = document.querySelector('#concern-status');
const token = inviteToken();
const base = `/api/sessions/${encodeURIComponent(sessionId)}`;

// The downloads need the same token as this page.
for (const link of document.querySelectorAll('#download-md, #download-json')) {
  const path = link.id === 'download-md' ? 'summary.md' : 'summary';
  link.href = `${base}/${path}?token=${encodeURIComponent(token)}`;
}

async function submit(form, status, path, body, done) {
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  status.textContent = 'Sending…';
  status.dataset.tone = '';
  try {
    await apiRequest(`${base}/${path}`, token, { method: 'POST', body });
    status.textContent = done;
    status.dataset.tone = 'ok';
    return true;
  } catch (error) {
    status.textContent = `Not sent: ${error.message}`;
    status.dataset.tone = 'error';
    return false;
  } finally {
    button.disabled = false;
  }
}

ratingForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(ratingForm);
  const body = { score: Number(data.get('score')), comment: String(data.get('comment') ?? '') };
  if (await submit(ratingForm, ratingStatus, 'rating', body, 'Thank you. Your rating is part of the summary.')) {
    ratingForm.querySelector('button[type=submit]').textContent = 'Update rating';
  }
});

concernForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = String(new FormData(concernForm).get('text') ?? '');
  if (await submit(concernForm, concernStatus, 'concerns', { text }, 'Sent to your program manager.')) {
    concernForm.reset();
  }
});
