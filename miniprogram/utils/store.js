// The app's storage as promises; encrypted (AES by the base library, per user) for anything personal.
function save(key, data) {
  return new Promise((resolve) => {
    wx.setStorage({ key, data, encrypt: true, success: () => resolve(true), fail: () => resolve(false) });
  });
}

function load(key) {
  return new Promise((resolve) => {
    wx.getStorage({ key, encrypt: true, success: (answer) => resolve(answer.data), fail: () => resolve(null) });
  });
}

function drop(key) {
  return new Promise((resolve) => {
    wx.removeStorage({ key, success: () => resolve(), fail: () => resolve() });
  });
}

module.exports = { save, load, drop };
