'use strict';

// Tip 1, "don't skip video", in the room: this browser tells the server what its camera
// track is doing and sends it a small copy of the picture (the uplink); the server says
// what it sees of both cameras, shown as two small indicators; and a gentle nudge appears
// when your own camera has been off, or shown no face, for a while.

import { inviteToken } from '../common/signalling.js';
import { CameraUplink } from './uplink.js';

const LABELS = { on: 'Face in view', no_face: 'No face in view', off: 'Camera off' };
const NUDGE_AFTER_MS = 15000;

const selfState = document.querySelector('#camera-state-self');
const peerState = document.querySelector('#camera-state-peer');
const nudge = document.querySelector('#camera-nudge');
const nudgeText = document.querySelector('#camera-nudge-text');
const nudgeDismiss = document.querySelector('#camera-nudge-dismiss');
const cameraToggle = document.querySelector('#camera-toggle');

function showState(element, state) {
  element.dataset.state = state;
  element.textContent = LABELS[state] ?? LABELS.off;
}

export function watchCamera({ channel, localStream, role, peerRole }) {
  const sessionId = document.body.dataset.sessionId;
  const track = () => localStream.getVideoTracks()[0] ?? null;
  let uplink = null;
  let own = { state: 'off', since: performance.now(), dismissed: false };
  let live = false;
  let peerName = '';

  function report() {
    const video = track();
    channel.send({
      type: 'camera',
      enabled: Boolean(video?.enabled),
      muted: Boolean(video?.muted),
      // No camera at all reads as a camera that ended.
      ended: !video || video.readyState === 'ended',
    });
  }

  function cameraChanged() {
    uplink?.setEnabled(Boolean(track()?.enabled));
    report();
  }

  function renderNudge() {
    const waiting = performance.now() - own.since;
    const show = live && own.state !== 'on' && !own.dismissed && waiting >= NUDGE_AFTER_MS;
    if (show) {
      nudge.dataset.state = own.state;
      nudgeText.textContent = own.state === 'off'
        ? `Your camera is off. Mentoring works better when ${peerName} can see you.`
        : 'We cannot see your face. Are you in front of the camera, with some light on you?';
    }
    nudge.hidden = !show;
  }

  function render(session) {
    const mine = session.participants[role].camera;
    if (mine !== own.state) own = { state: mine, since: performance.now(), dismissed: false };
    showState(selfState, mine);
    showState(peerState, session.participants[peerRole].camera);
    // Nobody there, nothing to say about their camera.
    peerState.hidden = !session.participants[peerRole].present;
    peerName = session.participants[peerRole].name;
    live = session.status === 'live';
    renderNudge();
    if (session.status === 'ended') {
      uplink?.close();
      uplink = null;
    }
  }

  channel.addEventListener('welcome', ({ detail }) => {
    render(detail.session);
    report();
    // Each (re)join starts a fresh uplink: the server closed the old one when we left.
    uplink?.close();
    const video = track();
    if (!video) return;
    uplink = new CameraUplink({
      sessionId,
      token: inviteToken(),
      iceServers: detail.ice_servers,
      maxFps: detail.uplink.max_fps,
      maxWidth: detail.uplink.max_width,
      maxBitrate: detail.uplink.max_bitrate,
    });
    uplink.start(video);
  });
  channel.addEventListener('state', ({ detail }) => render(detail.session));
  channel.addEventListener('closed', () => uplink?.close());

  // main.js toggles the track in its own click listener, registered before this one, and
  // listeners run in the order they were added: by now the track is toggled.
  cameraToggle.addEventListener('click', cameraChanged);
  const video = track();
  for (const type of ['mute', 'unmute', 'ended']) video?.addEventListener(type, cameraChanged);
  nudgeDismiss.addEventListener('click', () => {
    own.dismissed = true;
    renderNudge();
  });
  setInterval(renderNudge, 1000);
  window.addEventListener('pagehide', () => uplink?.close());

  return { get uplink() { return uplink; } };
}
