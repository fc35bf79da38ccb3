'use strict';

// Times come from the server as epoch seconds or ISO-8601; people read them in their
// own time zone.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDateTime(value) {
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? '' : dateTime.format(date);
}

export function showLocalTimes(root = document) {
  for (const element of root.querySelectorAll('[data-timestamp]')) {
    element.textContent = formatDateTime(Number(element.dataset.timestamp));
  }
}

export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
