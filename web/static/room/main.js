'use strict';

import { inviteToken, RoomChannel } from '../common/signalling.js';
import { PeerCall } from './call.js';

const localVideo = document.querySelector('#local-video');
const remoteVideo = document.querySelector('#remote-video');
const remotePlaceholder = document.querySelector('#remote-placeholder');
const unmuteButton = document.querySelector('#unmute');
const banner = document.querySelector('#banner');
const peerPresence = document.querySelector('#peer-presence');
const timerUsed = document.querySelector('#timer-used');
const cameraToggle = document.querySelector('#camera-toggle');
const micToggle = document.querySelector('#mic-toggle');
const endButton = document.querySelector('#end-session');
const endDialog = document.querySelector('#end-dialog');

const channel = new RoomChannel(inviteToken());
let localStream = null;
let call = null;
let polite = false;
let iceServers = [];
let session = null;

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

function startCall() {
  endCall();
  call = new PeerCall({
    localStream,
    iceServers,
    polite,
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

function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function renderTimer() {
  if (!session?.started_at) return;
  const end = session.ended_at ? Date.parse(session.ended_at) : Date.now();
  timerUsed.textContent = formatDuration((end - Date.parse(session.started_at)) / 1000);
}

function renderSession(state) {
  session = state;
  const peerRole = document.body.dataset.role === 'mentor' ? 'mentoree' : 'mentor';
  const peer = state.participants[peerRole];
  peerPresence.dataset.present = String(peer.present);
  peerPresence.textContent = peer.present ? 'in the room' : 'away';
  if (state.status === 'ended') showEnded(state);
  renderTimer();
}

function showEnded(state) {
  endCall();
  channel.close();
  for (const track of localStream?.getTracks() ?? []) track.stop();
  const who = state.ended_by === document.body.dataset.role ? 'You' : state.participants[state.ended_by]?.name ?? 'The server';
  showBanner(`${who} ended the session. Thank you both.`, 'done');
  document.body.dataset.ended = 'true';
  for (const button of [cameraToggle, micToggle, endButton]) button.disabled = true;
}

channel.addEventListener('welcome', ({ detail }) => {
  polite = detail.polite;
  iceServers = detail.ice_servers;
  renderSession(detail.session);
  const peerRole = detail.role === 'mentor' ? 'mentoree' : 'mentor';
  if (detail.session.participants[peerRole].present) {
    showBanner('');
    startCall();
  } else {
    showBanner(`Waiting for ${detail.session.participants[peerRole].name} to join…`);
  }
});

channel.addEventListener('peer', ({ detail }) => {
  if (detail.event === 'joined') {
    showBanner('');
    startCall();
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
  if (detail.code === 'room_full' || detail.code === 'replaced' || detail.code === 'unauthorized') {
    endCall();
  }
});
channel.addEventListener('reconnecting', () => showBanner('Connection lost. Reconnecting…', 'warn'));

cameraToggle.addEventListener('click', () => toggle('video'));
micToggle.addEventListener('click', () => toggle('audio'));
unmuteButton.addEventListener('click', () => {
  remoteVideo.muted = false;
  playRemote();
});
endButton.addEventListener('click', () => endDialog.showModal());
endDialog.addEventListener('close', () => {
  if (endDialog.returnValue === 'end') channel.send({ type: 'end' });
});
window.addEventListener('pagehide', () => channel.close());
setInterval(renderTimer, 1000);

localStream = await openCamera();
localVideo.srcObject = localStream;
syncControls();
channel.connect();
