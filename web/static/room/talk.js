'use strict';

// Hears whether the local participant is talking, from the level of their own microphone,
// and reports only the edges (started / stopped). No audio leaves the browser.

import { resumeOnGesture } from '../common/audio.js';

const LEVEL_THRESHOLD = 0.02; // RMS of the waveform, 0..1
const START_AFTER_MS = 250;
const STOP_AFTER_MS = 1200;
const SAMPLE_MS = 100;

export function watchSpeaking(stream, onChange) {
  const [track] = stream.getAudioTracks();
  if (!track) return () => {};
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const stopResuming = resumeOnGesture(context);

  let speaking = false;
  let changingSince = null;
  const timer = setInterval(() => {
    if (context.state === 'suspended') context.resume();
    analyser.getFloatTimeDomainData(samples);
    const rms = Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length);
    const loud = track.enabled && track.readyState === 'live' && rms > LEVEL_THRESHOLD;
    if (loud === speaking) {
      changingSince = null;
      return;
    }
    changingSince ??= performance.now();
    if (performance.now() - changingSince >= (loud ? START_AFTER_MS : STOP_AFTER_MS)) {
      speaking = loud;
      changingSince = null;
      onChange(speaking);
    }
  }, SAMPLE_MS);

  return () => {
    clearInterval(timer);
    stopResuming();
    context.close();
  };
}
