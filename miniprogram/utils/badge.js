// The unread count on the 消息 tab (index 4), as the web app's bell shows it.
const api = require("./api.js");
const session = require("./session.js");

const MESSAGES_TAB = 4;

function show(unread) {
  const quiet = () => {}; // a page that is not a tab page cannot set it; the next tab page will
  if (unread > 0) {
    wx.setTabBarBadge({ index: MESSAGES_TAB, text: unread > 99 ? "99+" : String(unread), fail: quiet });
  } else {
    wx.removeTabBarBadge({ index: MESSAGES_TAB, fail: quiet });
  }
}

function refresh() {
  if (!session.token()) return Promise.resolve();
  return api.messages(1).then((page) => show(page.unread || 0), () => {});
}

module.exports = { show, refresh };
