'use strict';

// The agenda before the meeting. The mentoree writes it (items with an optional number of
// minutes) and sends it; the mentor sees what was sent, and when.

import { apiRequest } from '../common/api.js';
import { h } from '../common/dom.js';
import { formatDateTime } from '../common/time.js';

const REFRESH_MS = 10_000;

const sessionPath = (sessionId) => `/api/sessions/${encodeURIComponent(sessionId)}`;

function sentLine(session) {
  const sender = session.participants.mentoree.name;
  const sentAt = session.agenda_progress.updated_at;
  if (session.agenda_progress.sent_at) return `Sent by ${sender}, ${formatDateTime(sentAt)}.`;
  return session.agenda.length
    ? `${sender} has not sent an agenda yet. This is the program manager's draft.`
    : `${sender} has not sent an agenda yet.`;
}

export function showAgenda({ sessionId, token, list, sentNote }) {
  const refresh = async () => {
    try {
      const session = await apiRequest(sessionPath(sessionId), token);
      list.replaceChildren(...session.agenda.map((item) => h('li', {},
        item.minutes ? `${item.text} (${item.minutes} min)` : item.text)));
      sentNote.textContent = sentLine(session);
    } catch (error) {
      sentNote.textContent = `Could not load the agenda: ${error.message}`;
    }
  };
  refresh();
  setInterval(refresh, REFRESH_MS);
}

const draftItems = (list) => [...list.children]
  .map((li) => ({
    text: li.querySelector('.agenda-text-input').value.trim(),
    minutes: Number(li.querySelector('.agenda-minutes').value) || null,
  }))
  .filter((item) => item.text);

const sameItems = (a, b) => JSON.stringify(a) === JSON.stringify(b.map(({ text, minutes }) => ({ text, minutes: minutes ?? null })));

// Returns `unsent()`: whether the draft on screen differs from what the server has.
export function editAgenda({ sessionId, token, form, list, sentNote, errorNote }) {
  let saved = [];

  const addRow = (item = { text: '', minutes: null }) => {
    const li = h('li', {}, h('div', { className: 'agenda-row' },
      h('input', { className: 'agenda-text-input', maxlength: 200, 'aria-label': 'Agenda item', dataTestid: 'agenda-draft-item' }),
      h('input', { className: 'agenda-minutes', type: 'number', min: 1, max: 240, placeholder: 'min', 'aria-label': 'Minutes' }),
      h('button', { type: 'button', className: 'remove secondary', 'aria-label': 'Remove item' }, '×')));
    li.querySelector('.agenda-text-input').value = item.text;
    li.querySelector('.agenda-minutes').value = item.minutes ?? '';
    list.append(li);
    return li;
  };

  const setEditable = (editable) => {
    for (const control of form.elements) control.disabled = !editable;
  };

  list.addEventListener('click', (event) => {
    if (event.target.closest('button.remove')) event.target.closest('li').remove();
  });
  form.querySelector('#agenda-add-row').addEventListener('click', () => {
    addRow().querySelector('input').focus();
  });

  const send = async () => {
    errorNote.hidden = true;
    try {
      render(await apiRequest(`${sessionPath(sessionId)}/agenda`, token, { method: 'PUT', body: { items: draftItems(list) } }));
      return true;
    } catch (error) {
      errorNote.textContent = `Not sent: ${error.message}`;
      errorNote.hidden = false;
      return false;
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    send();
  });

  const render = (session) => {
    saved = session.agenda;
    list.replaceChildren();
    for (const item of session.agenda) addRow(item);
    if (!session.agenda.length) addRow();
    if (session.started_at || session.status === 'ended') {
      setEditable(false);
      sentNote.textContent = 'The session has started: add and check items in the room.';
    } else {
      setEditable(true);
      sentNote.textContent = session.agenda_progress.sent_at
        ? `Sent ${formatDateTime(session.agenda_progress.updated_at)}. ${session.participants.mentor.name} sees it in their lobby; you can still change it.`
        : 'Write what you want to talk about and send it, so that you both come prepared.';
    }
  };

  apiRequest(sessionPath(sessionId), token).then(render).catch((error) => {
    errorNote.textContent = `Could not load the agenda: ${error.message}`;
    errorNote.hidden = false;
  });

  return {
    unsent: () => !form.elements[0]?.disabled && !sameItems(draftItems(list), saved),
    send,
  };
}
