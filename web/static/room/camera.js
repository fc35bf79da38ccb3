'use strict';

// Tip 1, "don't skip video", in the room: this browser tells the server what its camera
// track is doing and sends it a small copy of the picture (the uplink); the server says
// what it sees of both cameras, shown as two small indicators; and a gentle nudge appears
// when your own camera has been off, or shown no face, for a while, or when the server
// cannot see it at all.

import { inviteToken } from '../common/signalling.js';
import { CameraUplink } from './uplink.js';

const LABELS = {
  on: 'Face in view',
  no_face: 'No face in view',
  off: 'Camera off',
  unknown: 'Checking camera…',
};
const UNSEEN_LABEL = 'Not seen by the server';
const NUDGE_AFTER_MS = 15000;
// The server gives an uplink this long to connect before it closes it: a camera still
// unknown by then is one the server cannot see, not one it is still checking.
const UNSEEN_AFTER_MS = 20000;
const CANNOT_SEE = 'The server cannot see your camera. Reload the page; if that does not help, '
  + 'your network may block WebRTC: try another network, or ask your program manager about a TURN server.';

const selfState = document.querySelector('#camera-state-self');
const peerState = document.querySelector('#camera-state-peer');
const nudge = document.querySelector('#camera-nudge');
const nudgeText = document.querySelector('#camera-nudge-text');
const nudgeDismiss = document.querySelector('#camera-nudge-dismiss');

// A camera as the server sees it, and since when (performance.now(), from the server's count).
function observed(participant) {
  return { state: participant.camera, since: performance.now() - participant.camera_state_seconds * 1000 };
}

function unseenFor(camera, ms) {
  return camera.state === 'unknown' && performance.now() - camera.since >= ms;
}

function showState(element, camera, unseen) {
  element.dataset.state = camera.state;
  element.textContent = unseen ? UNSEEN_LABEL : LABELS[camera.state] ?? LABELS.unknown;
}

export function watchCamera({ channel, localStream, role, peerRole, announce }) {
  const sessionId = document.body.dataset.sessionId;
  const track = () => localStream.getVideoTracks()[0] ?? null;
  let uplink = null;
  let uplinkFailed = false;
  let own = { state: 'unknown', since: performance.now(), dismissed: false };
  let peer = { state: 'unknown', since: performance.now() };
  let live = false;
  let peerName = '';

  // The uplink may know before the server that it failed (ICE failed, offer refused).
  const ownUnseen = () => own.state === 'unknown' && (uplinkFailed || unseenFor(own, UNSEEN_AFTER_MS));

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

  function nudgeMessage() {
    const waited = performance.now() - own.since >= NUDGE_AFTER_MS;
    if (ownUnseen()) return CANNOT_SEE;
    if (own.state === 'off' && waited) return `Your camera is off. Mentoring works better when ${peerName} can see you.`;
    if (own.state === 'no_face' && waited) return 'We cannot see your face. Are you in front of the camera, with some light on you?';
    return null;
  }

  function renderCameras() {
    showState(selfState, own, ownUnseen());
    showState(peerState, peer, unseenFor(peer, UNSEEN_AFTER_MS));
    const text = live && !own.dismissed ? nudgeMessage() : null;
    if (text) {
      nudge.dataset.state = ownUnseen() ? 'unseen' : own.state;
      nudgeText.textContent = text;
    }
    nudge.hidden = !text;
  }

  function render(session) {
    const mine = observed(session.participants[role]);
    own = { ...mine, dismissed: mine.state === own.state && own.dismissed };
    const before = peer.state;
    peer = observed(session.participants[peerRole]);
    // Said aloud only when the camera goes off or comes back: face in and out of view
    // changes too often to be read out.
    const name = session.participants[peerRole].name;
    if (before !== 'unknown' && (before === 'off') !== (peer.state === 'off') && peer.state !== 'unknown') {
      announce(peer.state === 'off' ? `${name} turned their camera off.` : `${name}'s camera is on.`);
    }
    // Nobody there, nothing to say about their camera.
    peerState.hidden = !session.participants[peerRole].present;
    peerName = session.participants[peerRole].name;
    live = session.status === 'live';
    renderCameras();
    if (session.status === 'ended') {
      uplink?.close();
      uplink = null;
      // Nothing is being checked any more: the badges and the nudge go.
      selfState.hidden = true;
      peerState.hidden = true;
      nudge.hidden = true;
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
    uplinkFailed = false;
    uplink.addEventListener('state', ({ detail: state }) => {
      uplinkFailed = state === 'failed';
      renderCameras();
    });
    uplink.start(video);
  });
  channel.addEventListener('state', ({ detail }) => render(detail.session));
  channel.addEventListener('closed', () => uplink?.close());

  const video = track();
  for (const type of ['mute', 'unmute', 'ended']) video?.addEventListener(type, cameraChanged);
  nudgeDismiss.addEventListener('click', () => {
    own.dismissed = true;
    renderCameras();
  });
  setInterval(renderCameras, 1000);
  window.addEventListener('pagehide', () => uplink?.close());

  // main.js calls changed() once it has switched the camera track on or off.
  return { get uplink() { return uplink; }, changed: cameraChanged };
}
