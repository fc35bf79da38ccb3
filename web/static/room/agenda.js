'use strict';

// The live agenda panel: items with a checkbox and a note, the current item with its time,
// and a field to add what came up. Every change goes to the server, which echoes the new
// state to both pages; the panel only ever renders what the server says.

import { h } from '../common/dom.js';
import { formatDuration } from '../common/time.js';

const NOTE_DELAY_MS = 600;

export class AgendaPanel {
  #noteTimers = new Map();
  #items = [];
  #ownTicks = new Set();
  #ended = false;

  constructor({ list, progress, addForm, send, announce }) {
    this.list = list;
    this.progress = progress;
    this.addForm = addForm;
    this.send = send;
    this.announce = announce;

    list.addEventListener('change', (event) => {
      const checkbox = event.target.closest('input[type=checkbox]');
      if (!checkbox) return;
      this.#ownTicks.add(Number(checkbox.dataset.itemId));
      this.send({ type: 'agenda_check', item_id: Number(checkbox.dataset.itemId), done: checkbox.checked });
    });
    list.addEventListener('input', (event) => {
      const note = event.target.closest('input.note');
      if (note) this.#scheduleNote(Number(note.dataset.itemId), note.value);
    });
    addForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const input = addForm.elements.text;
      const text = input.value.trim();
      if (!text) return;
      if (this.send({ type: 'agenda_add', text })) input.value = '';
    });
  }

  #scheduleNote(itemId, note) {
    clearTimeout(this.#noteTimers.get(itemId));
    this.#noteTimers.set(itemId, setTimeout(() => {
      this.#noteTimers.delete(itemId);
      this.send({ type: 'agenda_note', item_id: itemId, note });
    }, NOTE_DELAY_MS));
  }

  #row(item) {
    // The time sits outside the label: a checkbox's accessible name must not tick.
    return h(
      'li',
      { dataTestid: 'agenda-item', dataItemId: item.id },
      h('div', { className: 'agenda-line' },
        h('label', { className: 'agenda-label' },
          h('input', { type: 'checkbox', dataItemId: item.id }),
          h('span', { className: 'agenda-text' })),
        h('span', { className: 'agenda-time' })),
      h('input', { className: 'note', maxlength: 500, placeholder: 'Note', dataItemId: item.id }),
    );
  }

  // After the end the agenda is a record: read-only, and no item is "now".
  render(agenda, progress, { ended = false } = {}) {
    this.#announceTicks(agenda);
    this.#items = agenda;
    this.#ended = ended;
    const current = ended ? null : progress.current_item_id;
    const rows = new Map([...this.list.children].map((row) => [Number(row.dataset.itemId), row]));
    const ordered = agenda.map((item) => rows.get(item.id) ?? this.#row(item));
    // Rows are updated where they stand: moving or replacing the row someone is typing
    // in (or has just ticked) would take their focus and the keys that follow.
    for (const [id, row] of rows) if (!agenda.some((item) => item.id === id)) row.remove();
    for (const [index, row] of ordered.entries()) {
      if (this.list.children[index] !== row) this.list.insertBefore(row, this.list.children[index] ?? null);
    }
    for (const [index, item] of agenda.entries()) {
      const row = ordered[index];
      row.querySelector('.agenda-text').textContent = item.text;
      row.querySelector('input.note').setAttribute('aria-label', `Note on ${item.text}`);
      row.querySelector('input[type=checkbox]').checked = item.done;
      row.querySelector('input[type=checkbox]').disabled = ended;
      row.classList.toggle('done', item.done);
      row.classList.toggle('current', item.id === current);
      const note = row.querySelector('input.note');
      note.readOnly = ended;
      // Never overwrite what someone is typing; their own echo will match anyway.
      if (document.activeElement !== note && !this.#noteTimers.has(item.id)) note.value = item.note;
    }
    this.progress.textContent = agenda.length
      ? `${progress.covered} of ${progress.total} covered`
      : (ended ? 'No agenda.' : 'No agenda. Add what you want to talk about.');
    this.addForm.hidden = ended;
  }

  // The partner's ticks are read out; this page's own are heard from the checkbox itself.
  #announceTicks(agenda) {
    for (const item of agenda) {
      const before = this.#items.find((old) => old.id === item.id);
      if (!before || before.done === item.done) continue;
      if (this.#ownTicks.delete(item.id)) continue;
      this.announce(`${item.text}: ${item.done ? 'checked off' : 'unchecked'}.`);
    }
  }

  tick(progress, sinceStateSeconds) {
    const current = this.#ended ? null : progress.current_item_id;
    for (const row of this.list.children) {
      const item = this.#items.find((i) => i.id === Number(row.dataset.itemId));
      if (!item) continue;
      const time = row.querySelector('.agenda-time');
      const budget = item.minutes ? ` / ${item.minutes}:00` : '';
      if (item.id === current) {
        time.textContent = `now · ${formatDuration(progress.current_item_seconds + sinceStateSeconds)}${budget}`;
      } else if (item.seconds >= 1) {
        time.textContent = `${formatDuration(item.seconds)}${budget}`;
      } else {
        time.textContent = item.minutes ? `${item.minutes} min` : '';
      }
    }
  }
}
