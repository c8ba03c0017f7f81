// The mini-program: restores the sign-in from encrypted storage before any page asks the server for anything, and
// keeps the 消息 tab's badge to the number of unread messages each time the app comes to the front.
const session = require("./utils/session.js");
const badge = require("./utils/badge.js");

App({
  onLaunch() {
    this.ready = session.restore();
  },
  onShow() {
    this.ready.then(() => badge.refresh());
  },
});
