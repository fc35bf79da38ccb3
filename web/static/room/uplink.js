'use strict';

// The camera analytics uplink: a second peer connection, to the server this time, carrying
// a clone of the camera track. The sender throttles it (RTCRtpSender.setParameters) to a
// couple of small frames a second, which is all the server needs to tell whether the camera
// is on and shows a face. The server (aiortc) does not trickle ICE, so the offer goes out
// over HTTP once candidate gathering is complete, and the answer comes back complete.

import { apiRequest } from '../common/api.js';

const GATHERING_TIMEOUT_MS = 5000;
const RETRY_MS = [2000, 5000, 10000, 30000];

export class CameraUplink extends EventTarget {
  #pc = null;
  #source = null;
  #clone = null;
  #attempt = 0;
  #retryTimer = null;
  #closed = false;

  constructor({ sessionId, token, iceServers, maxFps, maxWidth, maxBitrate }) {
    super();
    this.url = `/api/sessions/${encodeURIComponent(sessionId)}/uplink`;
    this.token = token;
    this.iceServers = iceServers;
    this.maxFps = maxFps;
    this.maxWidth = maxWidth;
    this.maxBitrate = maxBitrate;
  }

  // The peer connection, for tests that want its stats.
  get pc() {
    return this.#pc;
  }

  // Send `track` to the server, replacing whatever this uplink sent before.
  async start(track) {
    this.#stopPeer();
    this.#closed = false;
    this.#source = track;
    this.#clone = track.clone();
    this.#clone.enabled = track.enabled;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.#pc = pc;
    pc.addEventListener('connectionstatechange', () => this.#onState(pc));
    const { sender } = pc.addTransceiver(this.#clone, {
      direction: 'sendonly',
      sendEncodings: [this.#limits()],
    });
    try {
      await pc.setLocalDescription();
      await gatheringComplete(pc);
      const answer = await this.#post(pc.localDescription);
      if (pc !== this.#pc) return; // replaced or closed meanwhile
      await pc.setRemoteDescription(answer);
      await this.#applyLimits(sender);
      this.#attempt = 0;
    } catch (error) {
      console.warn('camera uplink failed', error);
      if (pc !== this.#pc) return;
      this.dispatchEvent(new CustomEvent('state', { detail: 'failed' }));
      if (!error.final) this.#retryLater();
    }
  }

  // Follow the camera toggle: a disabled clone sends black frames, as the call does.
  setEnabled(enabled) {
    if (this.#clone) this.#clone.enabled = enabled;
  }

  close() {
    this.#closed = true;
    this.#stopPeer();
  }

  #stopPeer() {
    clearTimeout(this.#retryTimer);
    this.#pc?.close();
    this.#clone?.stop();
    this.#pc = null;
    this.#clone = null;
  }

  // Frame rate, size and bitrate caps for the one encoding; the downscale keeps the aspect
  // ratio. Without a bitrate cap Chrome spends hundreds of kbit/s on a couple of frames.
  #limits() {
    const width = this.#clone?.getSettings().width;
    const scale = width ? Math.max(1, width / this.maxWidth) : 1;
    const limits = { maxFramerate: this.maxFps, scaleResolutionDownBy: scale };
    if (this.maxBitrate) limits.maxBitrate = this.maxBitrate;
    return limits;
  }

  // Encodings given at addTransceiver can be renegotiated away; set them again on the
  // sender now that it is connected, which also works where sendEncodings is ignored.
  async #applyLimits(sender) {
    const parameters = sender.getParameters();
    if (!parameters.encodings?.length) parameters.encodings = [{}];
    Object.assign(parameters.encodings[0], this.#limits());
    await sender.setParameters(parameters);
  }

  async #post(offer) {
    try {
      return await apiRequest(this.url, this.token, { method: 'POST', body: { type: offer.type, sdp: offer.sdp } });
    } catch (error) {
      // 4xx: not in the room, session over, bad offer: trying again cannot help.
      error.final = error.status >= 400 && error.status < 500;
      throw error;
    }
  }

  #onState(pc) {
    if (pc !== this.#pc) return;
    this.dispatchEvent(new CustomEvent('state', { detail: pc.connectionState }));
    if (pc.connectionState === 'failed') this.#retryLater();
  }

  #retryLater() {
    const source = this.#source;
    if (this.#closed || !source || source.readyState === 'ended') return;
    const delay = RETRY_MS[Math.min(this.#attempt, RETRY_MS.length - 1)];
    this.#attempt += 1;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.start(source), delay);
  }
}

function gatheringComplete(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    // Without a STUN answer gathering can hang; what has been gathered by then will do.
    const timer = setTimeout(done, GATHERING_TIMEOUT_MS);
    function done() {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    function check() {
      if (pc.iceGatheringState === 'complete') done();
    }
    pc.addEventListener('icegatheringstatechange', check);
  });
}
