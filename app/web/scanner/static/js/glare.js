// "请调整角度，避免反光": a code in view (the reader found its finder patterns) but not read for 2 s is most often a
// reflection over part of it. The hint goes as soon as a code is read, or when no code has been in view for a second.
const HINT_AFTER_MS = 2000;
const GONE_AFTER_MS = 1000;
const WORDS = "请调整角度，避免反光";

export class GlareHint {
  constructor(node) {
    this.node = node;
    this.since = null;
    this.last = 0;
  }

  // read: a code was read from this frame; glimpsed: a code was seen but not read (null when the reader cannot tell).
  frame(read, glimpsed, now = performance.now()) {
    if (read) {
      this.clear();
    } else if (glimpsed) {
      if (this.since === null) this.since = now;
      this.last = now;
      if (now - this.since >= HINT_AFTER_MS && this.node.textContent !== WORDS) this.node.textContent = WORDS;
    } else if (glimpsed === false && now - this.last > GONE_AFTER_MS) {
      this.clear();
    }
  }

  clear() {
    this.since = null;
    if (this.node.textContent) this.node.textContent = "";
  }
}
