// What every page shares: the 长辈版 root size, and (for pages with personal data) a sign-in, without which the
// citizen is sent to 身份核对.
const elder = require("./elder.js");
const session = require("./session.js");

function looks() {
  const on = elder.on();
  return { elder: on, rootSize: elder.rootSize(on) };
}

async function signedIn() {
  const app = getApp();
  if (app && app.ready) await app.ready;
  if (session.token()) return true;
  wx.reLaunch({ url: "/pages/login/login" });
  return false;
}

// What to tell the citizen of a failure: an ApiError's words, or plain words for anything unforeseen.
function words(error) {
  return (error && error.words) || "出错了，请重试";
}

// The words in a toast; a 401 has already sent the citizen to sign in again.
function tell(error) {
  if (error && error.status === 401) return;
  wx.showToast({ title: words(error), icon: "none", duration: 3000 });
}

module.exports = { looks, signedIn, words, tell };
