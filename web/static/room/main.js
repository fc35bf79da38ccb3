'use strict';

import { apiRequest } from '../common/api.js';
import { receiptMessage, watchReceipt } from '../common/receipts.js';
import { inviteToken, RoomChannel } from '../common/signalling.js';
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

const role = document.body.dataset.role;
const peerRole = role === 'mentor' ? 'mentoree' : 'mentor';
const channel = new RoomChannel(inviteToken());
const agendaPanel = new AgendaPanel({
  list: document.querySelector('#agenda'),
  progress: document.querySelector('#agenda-progress'),
  addForm: document.querySelector('#agenda-add'),
  send: (message) => channel.send(message),
});
let localStream = null;
let call = null;
let polite = false;
let iceServers = [];
let session = null;
// Refusals the hub lifts by itself: the channel retries, and the reason stays on screen.
const WAITING_REFUSALS = new Set(['room_full', 'too_many_joins']);
let waitingFor = null;
let stateReceivedAt = 0; // performance.now() when `session` arrived: the clock ticks from there

// Tests and curious people can reach the live objects from the console.
window.mentormeet = { channel, get call() { return call; }, get session() { return session; } };

function showBanner(text, tone = 'info') {
  banner.textContent = text;
  banner.dataset.tone = tone;
  banner.hidden = !text;
}

async function openCamera() {
  const attempts = [{ video: true, audio: true }, { video: true }, { audio: true }];
  for (const constraints of attempts) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (error) {
      console.warn('getUserMedia failed', constraints, error);
    }
  }
  showBanner('We could not open your camera or microphone. Check the browser permissions.', 'warn');
  return new MediaStream();
}

function syncToggle(button, kind, onLabel, offLabel) {
  const tracks = localStream?.getTracks().filter((t) => t.kind === kind) ?? [];
  const on = tracks.some((t) => t.enabled);
  button.setAttribute('aria-pressed', String(on));
  button.textContent = on ? onLabel : offLabel;
  button.disabled = tracks.length === 0;
}

function toggle(kind) {
  const tracks = localStream.getTracks().filter((t) => t.kind === kind);
  const enable = !tracks.some((t) => t.enabled);
  for (const track of tracks) track.enabled = enable;
  syncControls();
}

function syncControls() {
  syncToggle(cameraToggle, 'video', 'Camera on', 'Camera off');
  syncToggle(micToggle, 'audio', 'Mic on', 'Mic off');
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
  timerLeft.textContent = remaining >= 0 ? formatDuration(remaining) : `-${formatDuration(-remaining)}`;
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
  peerPresence.dataset.present = String(peer.present);
  peerPresence.textContent = peer.present ? 'in the room' : 'away';
  agendaPanel.render(state.agenda, state.agenda_progress);
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
  endCall();
  channel.close();
  for (const track of localStream?.getTracks() ?? []) track.stop();
  const who = state.ended_by === role ? 'You' : state.participants[state.ended_by]?.name;
  const how = who ? `${who} ended the session.` : 'The session ended.';
  showBanner(`${how} Thank you both.`, 'done');
  warning.hidden = true;
  document.body.dataset.ended = 'true';
  summaryLink.href = `/s/${encodeURIComponent(state.id)}/summary?token=${encodeURIComponent(inviteToken())}`;
  afterEnd.hidden = false;
  for (const button of [cameraToggle, micToggle, endButton]) button.disabled = true;
}

channel.addEventListener('welcome', ({ detail }) => {
  waitingFor = null;
  polite = detail.polite;
  iceServers = detail.ice_servers;
  renderSession(detail.session);
  if (detail.session.participants[peerRole].present) {
    showBanner('');
    startCall({ waitForOffer: true });
  } else {
    showBanner(`Waiting for ${detail.session.participants[peerRole].name} to join…`);
  }
});

channel.addEventListener('peer', ({ detail }) => {
  if (detail.event === 'joined') {
    showBanner('');
    startCall({ waitForOffer: false });
  } else {
    endCall();
    showBanner('Your partner left the room. They can rejoin with their link.', 'warn');
  }
});

channel.addEventListener('signal', ({ detail }) => call?.handleSignal(detail));
channel.addEventListener('state', ({ detail }) => renderSession(detail.session));
channel.addEventListener('error', ({ detail }) => {
  const tone = detail.code === 'invalid_message' ? 'info' : 'error';
  showBanner(detail.message, tone);
  waitingFor = WAITING_REFUSALS.has(detail.code) ? detail.message : null;
  if (['room_full', 'replaced', 'unauthorized'].includes(detail.code)) endCall();
});
channel.addEventListener('reconnecting', () => {
  showBanner(waitingFor ?? 'Connection lost. Reconnecting…', 'warn');
});

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
  if (!session?.started_at) {
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
});
concernButton.addEventListener('click', () => concernDialog.showModal());
concernDialog.addEventListener('close', async () => {
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
localVideo.srcObject = localStream;
syncControls();
watchSpeaking(localStream, (speaking) => channel.send({ type: 'speaking', speaking }));
window.mentormeet.camera = watchCamera({ channel, localStream, role, peerRole });
channel.connect();
