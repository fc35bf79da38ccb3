'use strict';

// What the participant chose in the lobby, read again by the room: devices are remembered
// on this browser (localStorage), camera and microphone switches for this tab only
// (sessionStorage), so a new meeting starts with both on.

export const DEVICE_KINDS = ['videoinput', 'audioinput', 'audiooutput'];

export const rememberedDevice = (kind) => localStorage.getItem(`mentormeet.device.${kind}`);

export function rememberDevice(kind, deviceId) {
  localStorage.setItem(`mentormeet.device.${kind}`, deviceId);
}

export const switchedOff = (kind) => sessionStorage.getItem(`mentormeet.${kind}-off`) === 'true';

export function setSwitch(kind, off) {
  sessionStorage.setItem(`mentormeet.${kind}-off`, String(off));
}
