// A sound and a vibration for each kind of verdict, so staff know without looking: a rising pair of tones for
// "may give", one high tone for "done", a low buzz for a refusal, two short middle tones for the counter's own fault.
// Browsers allow both only after the person has touched the page; asking before that is refused with a console error.
let audio = null;

function tone(frequency, start, length, type = "sine") {
  const oscillator = audio.createOscillator();
  const gain = audio.createGain();
  oscillator.type = type;
  oscillator.frequency.value = frequency;
  gain.gain.setValueAtTime(0.25, audio.currentTime + start);
  gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + start + length);
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start(audio.currentTime + start);
  oscillator.stop(audio.currentTime + start + length);
}

const SOUNDS = {
  valid: () => { tone(880, 0, 0.12); tone(1320, 0.13, 0.16); },
  done: () => tone(1568, 0, 0.25),
  invalid: () => { tone(196, 0, 0.35, "square"); },
  fault: () => { tone(523, 0, 0.1, "triangle"); tone(523, 0.18, 0.1, "triangle"); },
};
const VIBRATIONS = { valid: [80], done: [40, 60, 40], invalid: [250, 100, 250], fault: [60, 60, 60] };

function touched() {
  return navigator.userActivation ? navigator.userActivation.hasBeenActive : audio !== null;
}

// Called with the event of a touch or click (which is one), or without, once the page may have been touched.
export function unlock(gesture) {
  if (!gesture && !touched()) return;
  if (!audio && (window.AudioContext || window.webkitAudioContext)) {
    audio = new (window.AudioContext || window.webkitAudioContext)();
  }
  if (audio && audio.state === "suspended") audio.resume();
}

export function signal(kind) {
  if (!touched()) return;
  if (audio && SOUNDS[kind]) SOUNDS[kind]();
  if (navigator.vibrate && VIBRATIONS[kind]) navigator.vibrate(VIBRATIONS[kind]);
}
