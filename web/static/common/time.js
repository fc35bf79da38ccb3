'use strict';

// Times come from the server as epoch seconds or ISO-8601; people read them in their
// own time zone, named ("14:05 CET"), so nobody has to guess which zone a time is in.

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
});

export function formatDateTime(value) {
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? '' : dateTime.format(date);
}

// Fills every element marked with data-timestamp (epoch seconds), such as the <time>
// elements of server-rendered pages, whose UTC text stays as the fallback.
export function showLocalTimes(root = document) {
  for (const element of root.querySelectorAll('[data-timestamp]')) {
    const text = formatDateTime(Number(element.dataset.timestamp));
    if (text) element.textContent = text;
  }
}

export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
