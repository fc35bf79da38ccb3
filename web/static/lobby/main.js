'use strict';

import { resumeOnGesture } from '../common/audio.js';
import { inviteToken } from '../common/signalling.js';
import { showLocalTimes } from '../common/time.js';
import { editAgenda, showAgenda } from './agenda.js';

const preview = document.querySelector('#preview');
const previewStatus = document.querySelector('#preview-status');
const micLevel = document.querySelector('#mic-level');
const joinButton = document.querySelector('#join');
const sessionId = document.body.dataset.sessionId;

let stream = null;

function watchMicrophone(audioStream) {
  const context = new AudioContext();
  resumeOnGesture(context);
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  context.createMediaStreamSource(audioStream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const draw = () => {
    analyser.getFloatTimeDomainData(samples);
    const rms = Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length);
    micLevel.style.width = `${Math.min(100, rms * 400)}%`;
    requestAnimationFrame(draw);
  };
  draw();
}

async function startPreview() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    preview.srcObject = stream;
    previewStatus.textContent = 'Your camera and microphone work.';
    previewStatus.dataset.tone = 'ok';
    watchMicrophone(stream);
  } catch (error) {
    previewStatus.textContent = `No camera or microphone (${error.name}). You can still join; check your browser's permissions.`;
    previewStatus.dataset.tone = 'warn';
  }
}

joinButton.addEventListener('click', () => {
  joinButton.disabled = true;
  joinButton.textContent = 'Joining…';
  // Let go of the camera so that the room can open it straight away.
  for (const track of stream?.getTracks() ?? []) track.stop();
  const token = encodeURIComponent(inviteToken());
  location.assign(`/s/${encodeURIComponent(sessionId)}/room?token=${token}`);
});

const agendaForm = document.querySelector('#agenda-form');
const sentNote = document.querySelector('#agenda-sent');
if (agendaForm) {
  editAgenda({
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
showLocalTimes();
startPreview();
