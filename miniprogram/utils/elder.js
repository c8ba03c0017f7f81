// 长辈版, as on the web app (工信部 适老化 numbers): the root grows from 16 px to 20 px (125 %), so body text at
// 1.05rem is 21 px, key figures at 1.5rem 30 px and tap targets at 3rem 60 px. Kept on the phone, not the server.
const KEY = "elder";

function on() {
  try {
    return wx.getStorageSync(KEY) === true;
  } catch (error) {
    return false;
  }
}

function set(value) {
  wx.setStorageSync(KEY, Boolean(value));
  return Boolean(value);
}

// The page-meta root size for the current mode.
function rootSize(elder) {
  return elder ? "20px" : "16px";
}

module.exports = { on, set, rootSize };
