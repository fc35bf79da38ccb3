'use strict';

// Web Audio under the browsers' autoplay rules: an AudioContext made before the page got
// a click or a key starts suspended (Firefox, and Chromium on a site without any), and
// resume() does nothing until the page gets one. Resume on the first that comes.

export function resumeOnGesture(context) {
  const resume = () => {
    if (context.state === 'suspended') context.resume();
  };
  const types = ['pointerdown', 'keydown'];
  for (const type of types) document.addEventListener(type, resume, true);
  resume();
  return () => {
    for (const type of types) document.removeEventListener(type, resume, true);
  };
}
