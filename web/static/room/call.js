'use strict';

// The peer-to-peer call with the other participant, negotiated with the "perfect
// negotiation" pattern: both sides may offer at any time; on a collision the polite side
// rolls back and the impolite side ignores the other's offer.
//
// Collisions are still best avoided at the start: after a rollback Chromium can leave ICE
// gathering stuck (seen with the camera uplink gathering beside it), and the call never
// connects. So whoever joins second (`waitForOffer`) adds its tracks only once the first
// offer arrives, and answers it with them; only the side already in the room offers.

export class PeerCall extends EventTarget {
  #makingOffer = false;
  #ignoreOffer = false;
  #settingRemoteAnswer = false;

  #localStream;
  #sending = false;

  constructor({ localStream, iceServers, polite, sendSignal, waitForOffer = false }) {
    super();
    this.polite = polite;
    this.sendSignal = sendSignal;
    this.pc = new RTCPeerConnection({ iceServers });
    this.remoteStream = new MediaStream();
    this.#localStream = localStream;
    if (!waitForOffer) this.#startSending();

    this.pc.addEventListener('track', ({ track }) => {
      this.remoteStream.addTrack(track);
      this.dispatchEvent(new CustomEvent('remotestream', { detail: this.remoteStream }));
    });
    this.pc.addEventListener('negotiationneeded', () => this.#offer());
    this.pc.addEventListener('icecandidate', ({ candidate }) => {
      if (candidate) this.sendSignal({ candidate: candidate.toJSON() });
    });
    this.pc.addEventListener('connectionstatechange', () => {
      this.dispatchEvent(new CustomEvent('state', { detail: this.pc.connectionState }));
      if (this.pc.connectionState === 'failed') this.pc.restartIce();
    });
  }

  // Tracks added after the remote offer take its transceivers, so the answer carries them.
  #startSending() {
    if (this.#sending) return;
    this.#sending = true;
    for (const track of this.#localStream?.getTracks() ?? []) this.pc.addTrack(track, this.#localStream);
  }

  async #offer() {
    try {
      this.#makingOffer = true;
      await this.pc.setLocalDescription();
      this.sendSignal({ description: this.pc.localDescription.toJSON() });
    } catch (error) {
      console.warn('offer failed', error);
    } finally {
      this.#makingOffer = false;
    }
  }

  async handleSignal({ description, candidate }) {
    if (this.pc.signalingState === 'closed') return;
    try {
      if (description) {
        const readyForOffer =
          !this.#makingOffer && (this.pc.signalingState === 'stable' || this.#settingRemoteAnswer);
        const offerCollision = description.type === 'offer' && !readyForOffer;
        this.#ignoreOffer = !this.polite && offerCollision;
        if (this.#ignoreOffer) return;
        this.#settingRemoteAnswer = description.type === 'answer';
        await this.pc.setRemoteDescription(description);
        this.#settingRemoteAnswer = false;
        if (description.type === 'offer') {
          this.#startSending();
          await this.pc.setLocalDescription();
          this.sendSignal({ description: this.pc.localDescription.toJSON() });
        }
      } else if (candidate) {
        try {
          await this.pc.addIceCandidate(candidate);
        } catch (error) {
          if (!this.#ignoreOffer) throw error;
        }
      }
    } catch (error) {
      console.warn('signal failed', error);
    }
  }

  close() {
    this.pc.close();
    for (const track of this.remoteStream.getTracks()) this.remoteStream.removeTrack(track);
  }
}
