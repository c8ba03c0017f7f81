// 亮码: the identity code drawn on a canvas, the screen at full brightness and kept on while it shows (restored on
// leaving), the code replaced before it expires, "已核销" within seconds of staff confirming it (the newest
// redemption is polled, as the web page polls), and with no network the code of this window from the batch kept on
// the phone.
const api = require("../../utils/api.js");
const codes = require("../../utils/codes.js");
const page = require("../../utils/page.js");
const qr = require("../../utils/qr.js");
const session = require("../../utils/session.js");
const time = require("../../utils/time.js");
const words = require("../../utils/words.js");

const POLL_MS = 2000;
const QR_SIZE = 280; // CSS px: about 7.5 cm on a phone, as the web page's 330 px image at its density

Component({
  data: Object.assign(page.looks(), { qrSide: QR_SIZE, state: "loading", seconds: 0, offline: false, refusal: "", done: null,
    name: "", news: "" }),
  methods: {
    onLoad() {
      this.timers = [];
      this.brightness = null;
    },
    async onShow() {
      this.setData(page.looks());
      if (!(await page.signedIn())) return;
      this.brighten();
      wx.setKeepScreenOn({ keepScreenOn: true });
      const subject = session.subject();
      this.setData({ name: subject ? subject.name_masked : "" });
      this.active = true;
      if (this.data.state !== "done") await this.show();
      this.timers.push(setInterval(() => this.tick(), 1000));
      this.timers.push(setInterval(() => this.poll(), POLL_MS));
    },
    onHide() {
      this.leave();
    },
    onUnload() {
      this.leave();
    },
    leave() {
      this.active = false;
      (this.timers || []).forEach(clearInterval);
      this.timers = [];
      wx.setKeepScreenOn({ keepScreenOn: false });
      if (this.brightness !== null) wx.setScreenBrightness({ value: this.brightness });
      this.brightness = null;
    },
    brighten() {
      wx.getScreenBrightness({
        success: (answer) => {
          if (this.brightness === null) this.brightness = answer.value;
          wx.setScreenBrightness({ value: 1 });
        },
      });
    },
    // A fresh code from the server; with no network, this window's code from the phone's batch.
    async show() {
      if (this.fetching) return;
      this.fetching = true;
      try {
        const code = await api.qrcode();
        const now = Date.now();
        this.code = { token: code.token, expiresAt: now + code.ttl * 1000, refreshAt: now + code.refresh_in * 1000 };
        this.online = true;
        this.setData({ state: "code", offline: false, news: "二维码已更新" });
        await this.baseline();
        this.draw();
        codes.keep(now).catch(() => {}); // for the next time the network is gone; not needed now
      } catch (error) {
        if (error.status === 403) {
          await codes.forget();
          this.code = null;
          this.setData({ state: "refused", refusal: error.words });
        } else if (error.status === 0) {
          await this.showOffline();
        } else if (error.status !== 401) {
          if (this.code) this.code.refreshAt = Date.now() + 5000; // the server is busy: again in a few seconds
          this.setData({ news: page.words(error) });
        }
      } finally {
        this.fetching = false;
      }
    },
    async showOffline() {
      const now = Date.now();
      const code = codes.current(await codes.storedBatch(), now);
      this.online = false;
      if (!code) {
        this.code = null;
        this.setData({ state: "lapsed", offline: true });
        return;
      }
      const expiresAt = Date.parse(code.expires_at);
      this.code = { token: code.token, expiresAt, refreshAt: expiresAt };
      this.setData({ state: "code", offline: true, news: "离线二维码" });
      this.draw();
    },
    draw() {
      const token = this.code.token;
      this.tick();
      wx.createSelectorQuery().in(this).select("#qr").fields({ node: true, size: true }).exec((found) => {
        const canvas = found && found[0] && found[0].node;
        if (!canvas || !this.code || this.code.token !== token) return;
        const ratio = wx.getWindowInfo().pixelRatio;
        const drawn = qr.draw(canvas, token, QR_SIZE, ratio);
        // Shown at exactly its drawn size, so every module is whole device pixels (no scaling blur for scanners).
        this.setData({ qrSide: (drawn.cell * (drawn.modules + 2 * qr.QUIET)) / ratio });
      });
    },
    tick() {
      if (!this.code || this.data.state !== "code") return;
      const now = Date.now();
      const left = Math.max(0, Math.ceil((this.code.expiresAt - now) / 1000));
      if (left !== this.data.seconds) this.setData({ seconds: left });
      if (now >= this.code.refreshAt && this.active) this.show();
      if (left === 0 && this.data.state === "code") {
        this.code = null; // a lapsed code would only be refused at the counter
        this.setData({ state: "lapsed" });
      }
    },
    // The newest redemption when the code was first shown; one newer than it is this code's (a code is single-use).
    async baseline() {
      if (this.seen !== undefined) return;
      try {
        const page1 = await api.redemptions();
        this.seen = page1.items.length ? page1.items[0].id : 0;
      } catch (error) {
        this.seen = undefined;
      }
    },
    async poll() {
      if (!this.online || this.seen === undefined || this.data.state !== "code" || this.polling) return;
      this.polling = true;
      try {
        const newest = (await api.redemptions()).items[0];
        if (newest && newest.id > this.seen) {
          this.seen = newest.id;
          this.code = null;
          this.setData({ state: "done", done: { measure: newest.measure.title, benefit: words.benefit(newest.benefit),
            venue: newest.venue.name, at: time.moment(newest.redeemed_at) } });
          wx.vibrateShort({ type: "heavy" });
        }
      } catch (error) {
        // the next poll tries again; the code on screen stays valid
      } finally {
        this.polling = false;
      }
    },
    again() {
      this.setData({ state: "loading", done: null });
      this.show();
    },
    refresh() {
      this.show();
    },
  },
});
