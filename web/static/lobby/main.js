'use strict';

// The lobby, a prejoin in the manner of Meet's or Jitsi's: a preview with the camera and
// microphone switched on or off and chosen (both carried into the room), who is already
// in, how long until the start, and the mentoree's agenda, never lost by joining.

import { apiRequest } from '../common/api.js';
import { resumeOnGesture } from '../common/audio.js';
import { h } from '../common/dom.js';
import { inviteToken } from '../common/signalling.js';
import { formatDuration, showLocalTimes } from '../common/time.js';
import { editAgenda, showAgenda } from './agenda.js';
import { DEVICE_KINDS, rememberDevice, rememberedDevice, setSwitch, switchedOff } from '../common/choices.js';

const preview = document.querySelector('#preview');
const previewStatus = document.querySelector('#preview-status');
const micLevel = document.querySelector('#mic-level');
const joinButton = document.querySelector('#join');
const cameraSwitch = document.querySelector('#lobby-camera');
const micSwitch = document.querySelector('#lobby-mic');
const devices = document.querySelector('#devices');
const countdown = document.querySelector('#countdown');
const peerIn = document.querySelector('#peer-in');
const unsentWarning = document.querySelector('#unsent-warning');
const { sessionId, peerRole } = document.body.dataset;
const scheduledStart = Number(document.body.dataset.scheduledStart);
const PRESENCE_MS = 5000;

let stream = null;
let meter = null;

function watchMicrophone(audioStream) {
  const context = new AudioContext();
  resumeOnGesture(context);
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  context.createMediaStreamSource(audioStream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let frame = null;
  const draw = () => {
    analyser.getFloatTimeDomainData(samples);
    const rms = Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length);
    micLevel.style.width = `${Math.min(100, rms * 400)}%`;
    frame = requestAnimationFrame(draw);
  };
  draw();
  return () => {
    cancelAnimationFrame(frame);
    context.close();
  };
}

function constraint(kind) {
  const id = rememberedDevice(kind);
  return id ? { deviceId: { ideal: id } } : true;
}

function syncSwitch(button, kind) {
  const on = !switchedOff(kind);
  button.setAttribute('aria-pressed', String(on));
  button.lastElementChild.textContent = on ? 'on' : 'off';
  for (const track of stream?.getTracks().filter((t) => t.kind === kind) ?? []) track.enabled = on;
}

async function fillDeviceChoices() {
  const found = await navigator.mediaDevices.enumerateDevices();
  const current = {
    videoinput: stream?.getVideoTracks()[0]?.getSettings().deviceId,
    audioinput: stream?.getAudioTracks()[0]?.getSettings().deviceId,
    audiooutput: rememberedDevice('audiooutput'),
  };
  for (const kind of DEVICE_KINDS) {
    const select = document.querySelector(`#choose-${kind}`);
    const options = found.filter((d) => d.kind === kind && d.deviceId)
      .map((d, i) => h('option', { value: d.deviceId }, d.label || `${kind} ${i + 1}`));
    select.replaceChildren(...options);
    if (current[kind]) select.value = current[kind];
  }
  // Choosing a speaker needs setSinkId, which not every browser has.
  document.querySelector('#speaker-choice').hidden = !('setSinkId' in HTMLMediaElement.prototype)
    || !document.querySelector('#choose-audiooutput').options.length;
  devices.hidden = false;
}

async function startPreview() {
  for (const track of stream?.getTracks() ?? []) track.stop();
  meter?.();
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: constraint('videoinput'), audio: constraint('audioinput') });
    preview.srcObject = stream;
    previewStatus.textContent = 'Your camera and microphone work.';
    previewStatus.dataset.tone = 'ok';
    syncSwitch(cameraSwitch, 'video');
    syncSwitch(micSwitch, 'audio');
    meter = watchMicrophone(stream);
    await fillDeviceChoices();
  } catch (error) {
    const blocked = error.name === 'NotAllowedError';
    previewStatus.textContent = blocked
      ? 'Your browser is blocking the camera and microphone. Allow them (the camera icon in the address bar) and reload; you can also join without them.'
      : 'No camera or microphone was found. You can still join, and talk once you plug one in.';
    previewStatus.dataset.tone = 'warn';
  }
}

for (const [button, kind] of [[cameraSwitch, 'video'], [micSwitch, 'audio']]) {
  button.addEventListener('click', () => {
    setSwitch(kind, !switchedOff(kind));
    syncSwitch(button, kind);
  });
}
devices.addEventListener('change', (event) => {
  const kind = event.target.id.replace('choose-', '');
  rememberDevice(kind, event.target.value);
  if (kind !== 'audiooutput') startPreview();
});

// "Starts in 12:00", "Due now", "Started 3:00 ago": in words that need no time zone.
function showCountdown() {
  const seconds = scheduledStart - Date.now() / 1000;
  if (seconds > 24 * 3600) countdown.textContent = '';
  else if (seconds >= 60) countdown.textContent = `Starts in ${formatDuration(seconds)}.`;
  else if (seconds > -60) countdown.textContent = 'Due to start now.';
  else countdown.textContent = `Due to start ${formatDuration(-seconds)} ago.`;
}

let peerWasIn = null;
async function showWhoIsIn() {
  try {
    const session = await apiRequest(`/api/sessions/${encodeURIComponent(sessionId)}`, inviteToken());
    const peer = session.participants[peerRole];
    if (session.status === 'ended') peerIn.textContent = 'This session has ended.';
    else if (peer.present !== peerWasIn) peerIn.textContent = peer.present ? `${peer.name} is in the room.` : `${peer.name} has not joined yet.`;
    peerIn.dataset.present = String(peer.present);
    peerWasIn = peer.present;
  } catch {
    // A missed poll says nothing new; the next one will.
  }
}

function join() {
  joinButton.disabled = true;
  joinButton.textContent = 'Joining…';
  // Let go of the camera so that the room can open it straight away.
  for (const track of stream?.getTracks() ?? []) track.stop();
  const token = encodeURIComponent(inviteToken());
  location.assign(`/s/${encodeURIComponent(sessionId)}/room?token=${token}`);
}

const agendaForm = document.querySelector('#agenda-form');
const sentNote = document.querySelector('#agenda-sent');
let draft = null;
if (agendaForm) {
  draft = editAgenda({
    sessionId,
    token: inviteToken(),
    form: agendaForm,
    list: document.querySelector('#agenda-draft'),
    sentNote,
    errorNote: document.querySelector('#agenda-error'),
  });
} else {
  showAgenda({ sessionId, token: inviteToken(), list: document.querySelector('#agenda-view'), sentNote });
}

joinButton.addEventListener('click', () => {
  if (!draft?.unsent()) {
    join();
    return;
  }
  unsentWarning.hidden = false;
  unsentWarning.querySelector('button').focus();
});
document.querySelector('#send-and-join').addEventListener('click', async () => {
  if (await draft.send()) join();
});
document.querySelector('#join-anyway').addEventListener('click', join);

showLocalTimes();
showCountdown();
setInterval(showCountdown, 1000);
showWhoIsIn();
setInterval(showWhoIsIn, PRESENCE_MS);
startPreview();
