'use strict';

import { apiRequest } from '../common/api.js';
import { receiptMessage, watchReceipt } from '../common/receipts.js';
import { inviteToken, RoomChannel } from '../common/signalling.js';
import { rememberedDevice, switchedOff } from '../common/choices.js';
import { h } from '../common/dom.js';
import { formatDuration } from '../common/time.js';
import { AgendaPanel } from './agenda.js';
import { PeerCall } from './call.js';
import { watchCamera } from './camera.js';
import { watchSpeaking } from './talk.js';

const localVideo = document.querySelector('#local-video');
const remoteVideo = document.querySelector('#remote-video');
const remotePlaceholder = document.querySelector('#remote-placeholder');
const unmuteButton = document.querySelector('#unmute');
const banner = document.querySelector('#banner');
const peerPresence = document.querySelector('#peer-presence');
const timer = document.querySelector('#timer');
const timerUsed = document.querySelector('#timer-used');
const timerLeft = document.querySelector('#timer-left');
const warning = document.querySelector('#warning');
const talkMentor = document.querySelector('#talk-mentor');
const talkMentoree = document.querySelector('#talk-mentoree');
const talkLegend = document.querySelector('#talk-legend');
const endQuestion = document.querySelector('#end-question');
const concernButton = document.querySelector('#concern');
const concernDialog = document.querySelector('#concern-dialog');
const concernText = document.querySelector('#concern-text');
const afterEnd = document.querySelector('#after-end');
const summaryLink = document.querySelector('#summary-link');
const cameraToggle = document.querySelector('#camera-toggle');
const micToggle = document.querySelector('#mic-toggle');
const endButton = document.querySelector('#end-session');
const endDialog = document.querySelector('#end-dialog');
const roomTitle = document.querySelector('#room-title');
const announcer = document.querySelector('#announcer');
const mediaProblem = document.querySelector('#media-problem');
const mediaProblemText = document.querySelector('#media-problem-text');
const otherWindow = document.querySelector('#other-window');
const otherWindowText = document.querySelector('#other-window-text');

const role = document.body.dataset.role;
const peerRole = role === 'mentor' ? 'mentoree' : 'mentor';
const channel = new RoomChannel(inviteToken());
const agendaPanel = new AgendaPanel({
  list: document.querySelector('#agenda'),
  progress: document.querySelector('#agenda-progress'),
  addForm: document.querySelector('#agenda-add'),
  send: (message) => channel.send(message),
  announce,
});
let localStream = null;
let cameraWatch = null;
let call = null;
let polite = false;
let iceServers = [];
let session = null;
// Refusals the hub lifts by itself: the channel retries, and the reason stays on screen.
const WAITING_REFUSALS = new Set(['room_full', 'too_many_joins']);
let waitingFor = null;
let ended = false;
let stateReceivedAt = 0; // performance.now() when `session` arrived: the clock ticks from there

// Tests and curious people can reach the live objects from the console.
window.mentormeet = { channel, get call() { return call; }, get session() { return session; } };

function showBanner(text, tone = 'info') {
  banner.textContent = text;
  banner.dataset.tone = tone;
  banner.hidden = !text;
}

// Said to screen readers through a polite live region; what is on screen says it too.
function announce(text) {
  announcer.textContent = '';
  // A fresh text node after a beat, so the same words twice are still read twice.
  setTimeout(() => { announcer.textContent = text; }, 50);
}

// Why the browser gave us no camera or microphone, in words a participant can act on.
const MEDIA_PROBLEMS = {
  NotAllowedError: 'Your browser is blocking the camera and microphone for this page. Allow them '
    + '(the camera icon in the address bar), then try again.',
  NotFoundError: 'No camera or microphone was found. Plug one in, then try again.',
  NotReadableError: 'Your camera or microphone is in use by another app. Close that app, then try again.',
  OverconstrainedError: 'The chosen camera or microphone is not available. Try again to use another.',
};
const MEDIA_PROBLEM_OTHER = 'We could not open your camera or microphone. Check the browser permissions, then try again.';

function showMediaProblem(error, partial) {
  const words = MEDIA_PROBLEMS[error?.name] ?? MEDIA_PROBLEM_OTHER;
  mediaProblemText.textContent = partial ? `${partial} ${words}` : words;
  mediaProblem.hidden = false;
}

// The lobby's choices: devices picked there, camera and microphone switched on or off.
function lobbyChoice(kind) {
  const id = rememberedDevice(kind);
  return id ? { deviceId: { ideal: id } } : true;
}

async function openCamera() {
  const video = lobbyChoice('videoinput');
  const audio = lobbyChoice('audioinput');
  const attempts = [{ video, audio }, { video }, { audio }];
  let firstError = null;
  for (const [index, constraints] of attempts.entries()) {
    try {
      const stream = await navigator.mediaDevices.getUserMedia(constraints);
      if (index > 0) showMediaProblem(firstError, index === 1 ? 'Your microphone did not open.' : 'Your camera did not open.');
      return stream;
    } catch (error) {
      firstError ??= error;
    }
  }
  showMediaProblem(firstError, '');
  return new MediaStream();
}

function applyLobbyChoices(stream) {
  for (const kind of ['video', 'audio']) {
    if (!switchedOff(kind)) continue;
    for (const track of stream.getTracks().filter((t) => t.kind === kind)) track.enabled = false;
  }
  const speaker = rememberedDevice('audiooutput');
  if (speaker && remoteVideo.setSinkId) remoteVideo.setSinkId(speaker).catch(() => {});
}

// The name stays "Camera" or "Mic" (aria-pressed says on or off); the eye reads "on"/"off".
function syncToggle(button, kind, name) {
  const tracks = localStream?.getTracks().filter((t) => t.kind === kind) ?? [];
  const on = tracks.some((t) => t.enabled);
  button.setAttribute('aria-pressed', String(on));
  button.replaceChildren(name, ' ', h('span', { 'aria-hidden': 'true' }, on ? 'on' : 'off'));
  button.disabled = tracks.length === 0 || ended;
}

function toggle(kind) {
  const tracks = localStream.getTracks().filter((t) => t.kind === kind);
  const enable = !tracks.some((t) => t.enabled);
  for (const track of tracks) track.enabled = enable;
  syncControls();
  if (kind === 'video') cameraWatch?.changed();
}

function syncControls() {
  syncToggle(cameraToggle, 'video', 'Camera');
  syncToggle(micToggle, 'audio', 'Mic');
}

async function playRemote() {
  try {
    await remoteVideo.play();
    unmuteButton.hidden = true;
  } catch (error) {
    if (error.name !== 'NotAllowedError') return;
    // Autoplay with sound needs a gesture on this page; play muted and offer one.
    remoteVideo.muted = true;
    unmuteButton.hidden = false;
    await remoteVideo.play().catch(() => {});
  }
}

// `waitForOffer`: we joined second, so the one already in the room makes the offer.
function startCall({ waitForOffer }) {
  endCall();
  call = new PeerCall({
    localStream,
    iceServers,
    polite,
    waitForOffer,
    sendSignal: (signal) => channel.send({ type: 'signal', ...signal }),
  });
  call.addEventListener('remotestream', ({ detail }) => {
    if (remoteVideo.srcObject !== detail) remoteVideo.srcObject = detail;
    remotePlaceholder.hidden = true;
    playRemote();
  });
  call.addEventListener('state', ({ detail }) => {
    if (detail === 'connected') showBanner('');
    else if (detail === 'disconnected' || detail === 'failed') showBanner('Reconnecting the call…', 'warn');
  });
}

function endCall() {
  call?.close();
  call = null;
  remoteVideo.srcObject = null;
  remotePlaceholder.hidden = false;
}

function secondsSinceState() {
  const running = session?.status === 'live' && session.started_at && !session.ended_at;
  return running ? (performance.now() - stateReceivedAt) / 1000 : 0;
}

function renderClock() {
  if (!session) return;
  const since = secondsSinceState();
  const remaining = session.remaining_seconds - since;
  timerUsed.textContent = formatDuration(session.elapsed_seconds + since);
  if (session.ended_at) timerLeft.textContent = 'ended';
  else timerLeft.textContent = remaining >= 0 ? `${formatDuration(remaining)} left` : `${formatDuration(-remaining)} over`;
  timer.dataset.phase = !session.started_at ? 'waiting'
    : remaining <= 0 ? 'over' : remaining <= 60 ? 'last-minute' : remaining <= 300 ? 'closing' : 'running';
  agendaPanel.tick(session.agenda_progress, since);
}

function renderTalk(participants) {
  const mentor = participants.mentor.talk_seconds;
  const mentoree = participants.mentoree.talk_seconds;
  const total = mentor + mentoree;
  const mentorShare = total > 0 ? mentor / total : 0.5;
  talkMentor.parentElement.dataset.empty = String(total === 0);
  talkMentor.style.flexGrow = String(mentorShare);
  talkMentoree.style.flexGrow = String(1 - mentorShare);
  talkLegend.textContent = total > 0
    ? `${participants.mentor.name} ${Math.round(mentorShare * 100)}% · ${participants.mentoree.name} ${Math.round((1 - mentorShare) * 100)}%`
    : 'Nobody has talked yet.';
}

function renderSession(state) {
  session = state;
  stateReceivedAt = performance.now();
  const peer = state.participants[peerRole];
  if (peerPresence.dataset.present !== String(peer.present)) {
    peerPresence.dataset.present = String(peer.present);
    peerPresence.textContent = peer.present ? 'in the room' : 'away';
  }
  agendaPanel.render(state.agenda, state.agenda_progress, { ended: state.status === 'ended' });
  renderTalk(state.participants);
  renderClock();
  // Before the start (both of you in) the button only leaves: nobody ends a session alone.
  endButton.textContent = state.started_at ? 'End session' : 'Leave room';
  const mostUrgent = state.warnings_sent.at(-1);
  if (mostUrgent !== undefined) showWarning(mostUrgent);
  if (state.status === 'ended') showEnded(state);
}

function showWarning(minutesLeft) {
  warning.textContent = minutesLeft === 0
    ? 'Time is up. Wrap up when you are ready; nobody is cut off.'
    : `${minutesLeft} minute${minutesLeft === 1 ? '' : 's'} left.`;
  warning.dataset.minutesLeft = String(minutesLeft);
  warning.hidden = false;
}

function showEnded(state) {
  if (ended) return;
  ended = true;
  endCall();
  channel.close();
  for (const track of localStream?.getTracks() ?? []) track.stop();
  const who = state.ended_by === role ? 'You' : state.participants[state.ended_by]?.name;
  const how = who ? `${who} ended the session.` : 'The session ended.';
  showBanner(`${how} Thank you both.`, 'done');
  warning.hidden = true;
  otherWindow.hidden = true;
  remotePlaceholder.textContent = 'The session has ended.';
  document.body.dataset.ended = 'true';
  summaryLink.href = `/s/${encodeURIComponent(state.id)}/summary?token=${encodeURIComponent(inviteToken())}`;
  afterEnd.hidden = false;
  for (const button of [cameraToggle, micToggle, endButton, concernButton]) button.disabled = true;
  document.querySelector('#controls').hidden = true;
  for (const dialog of [endDialog, concernDialog]) if (dialog.open) dialog.close('cancel');
  summaryLink.focus();
}

// This participant's other window has the room, or has just taken it from this one.
function offerThisWindow(text) {
  endCall();
  otherWindowText.textContent = text;
  otherWindow.hidden = false;
  showBanner('');
}

channel.addEventListener('welcome', ({ detail }) => {
  waitingFor = null;
  otherWindow.hidden = true;
  const firstWelcome = session === null;
  polite = detail.polite;
  iceServers = detail.ice_servers;
  renderSession(detail.session);
  if (detail.session.participants[peerRole].present) {
    showBanner('');
    startCall({ waitForOffer: true });
  } else {
    showBanner(`Waiting for ${detail.session.participants[peerRole].name} to join…`);
  }
  for (const button of [endButton, concernButton]) button.disabled = false;
  // Straight from the lobby's Join button: start a screen reader at the room's name.
  if (firstWelcome && document.activeElement === document.body) roomTitle.focus();
});

channel.addEventListener('peer', ({ detail }) => {
  const name = session?.participants[peerRole].name ?? 'Your partner';
  if (detail.event === 'joined') {
    showBanner('');
    announce(`${name} joined the room.`);
    startCall({ waitForOffer: false });
  } else {
    endCall();
    showBanner(`${name} left the room. They can rejoin with their link.`, 'warn');
    announce(`${name} left the room.`);
  }
});

channel.addEventListener('signal', ({ detail }) => call?.handleSignal(detail));
channel.addEventListener('state', ({ detail }) => renderSession(detail.session));
channel.addEventListener('error', ({ detail }) => {
  if (ended) return; // "already ended" adds nothing to the room's own ending
  if (detail.code === 'room_full') {
    waitingFor = 'You are in this room in another window.';
    offerThisWindow('You are in this room in another window. This one joins when that one leaves.');
    return;
  }
  if (detail.code === 'replaced') {
    offerThisWindow('You opened this room in another window, so this one left the call.');
    return;
  }
  const tone = detail.code === 'invalid_message' ? 'info' : 'error';
  showBanner(detail.message, tone);
  waitingFor = WAITING_REFUSALS.has(detail.code) ? detail.message : null;
  if (detail.code === 'unauthorized') endCall();
});
channel.addEventListener('reconnecting', () => {
  if (!otherWindow.hidden) return;
  showBanner(waitingFor ?? 'Connection lost. Reconnecting…', 'warn');
});
document.querySelector('#use-this-window').addEventListener('click', () => {
  otherWindow.hidden = true;
  showBanner('Connecting…');
  channel.takeOver();
});
document.querySelector('#media-retry').addEventListener('click', () => location.reload());

cameraToggle.addEventListener('click', () => toggle('video'));
micToggle.addEventListener('click', () => toggle('audio'));
unmuteButton.addEventListener('click', () => {
  remoteVideo.muted = false;
  playRemote();
});
// Back to the lobby, which closes this page's connection to the room.
function leaveRoom() {
  window.location.assign(window.location.pathname.replace(/\/room$/, '') + window.location.search);
}

endButton.addEventListener('click', () => {
  if (!session) return;
  if (!session.started_at) {
    leaveRoom();
    return;
  }
  const minutesLeft = Math.ceil((session.remaining_seconds - secondsSinceState()) / 60);
  endQuestion.textContent = session.started_at && minutesLeft > 1
    ? `You still have ${minutesLeft} minutes. End the session for both of you anyway?`
    : 'End the session for both of you?';
  endDialog.showModal();
});
endDialog.addEventListener('close', () => {
  if (endDialog.returnValue === 'end') channel.send({ type: 'end' });
  else if (!ended) endButton.focus();
});
concernButton.addEventListener('click', () => concernDialog.showModal());
concernDialog.addEventListener('close', async () => {
  if (!ended) concernButton.focus();
  const text = concernText.value.trim();
  if (concernDialog.returnValue !== 'send' || !text) return;
  const base = `/api/sessions/${encodeURIComponent(session.id)}`;
  try {
    const answer = await apiRequest(`${base}/concerns`, inviteToken(), { method: 'POST', body: { text } });
    concernText.value = '';
    const last = (receipts) => receipts.concerns.at(-1);
    watchReceipt({
      base, token: inviteToken(), pick: last, first: last(answer),
      show: (receipt) => showBanner(receiptMessage(receipt, 'Your message'), 'info'),
    });
  } catch (error) {
    showBanner(`Your message was not sent: ${error.message}`, 'error');
  }
});
window.addEventListener('pagehide', () => channel.close());
setInterval(renderClock, 1000);

localStream = await openCamera();
applyLobbyChoices(localStream);
// A video element given a stream with no tracks waits for data forever, and holds up the
// page's load event with it.
if (localStream.getTracks().length) localVideo.srcObject = localStream;
syncControls();
watchSpeaking(localStream, (speaking) => channel.send({ type: 'speaking', speaking }));
cameraWatch = watchCamera({ channel, localStream, role, peerRole, announce });
window.mentormeet.camera = cameraWatch;
channel.connect();
