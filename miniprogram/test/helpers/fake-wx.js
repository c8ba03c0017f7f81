// A fake `wx` for jest: wx.request answered from a table of routes, storage in memory (remembering whether it was
// asked to encrypt), and every call a page makes to the phone (brightness, keep-screen-on, badge, navigation)
// recorded for the test to read.
const config = require("../../config.js");

function fakeWx() {
  const calls = [];
  const routes = new Map();
  const storage = new Map();
  const record = (name) => (options = {}) => {
    calls.push({ name, options });
    if (options.success) options.success({});
  };
  const canvasOps = [];
  const canvas = {
    width: 0, height: 0,
    getContext: () => ({
      set fillStyle(value) { canvasOps.push(["style", value]); },
      fillRect: (...args) => canvasOps.push(["rect", ...args]),
    }),
  };
  const wx = {
    calls, routes, storage, canvas, canvasOps, offline: false, brightness: 0.4,
    // route("GET /me", 200, body) — a function body gets the request's data and answers {statusCode, data}.
    route(key, statusCode, data) {
      routes.set(key, typeof data === "function" ? data : () => ({ statusCode, data }));
    },
    requests: () => calls.filter((call) => call.name === "request").map((call) => call.options),
    named: (name) => calls.filter((call) => call.name === name).map((call) => call.options),
    request(options) {
      calls.push({ name: "request", options });
      const path = options.url.slice((config.server + "/api/v1").length).split("?")[0];
      const answer = routes.get(`${options.method || "GET"} ${path}`);
      setTimeout(() => {
        if (wx.offline) options.fail({ errMsg: "request:fail" });
        else if (!answer) options.success({ statusCode: 404, data: { error: { code: "not_found", message: "没有找到" } } });
        else options.success(answer(options.data));
      }, 0);
    },
    uploadFile(options) {
      calls.push({ name: "uploadFile", options });
      const path = options.url.slice((config.server + "/api/v1").length);
      const answer = routes.get(`POST ${path}`)(options.formData);
      setTimeout(() => options.success({ statusCode: answer.statusCode, data: JSON.stringify(answer.data) }), 0);
    },
    login: (options) => { calls.push({ name: "login" }); options.success({ code: "wx-code-" + calls.length }); },
    setStorage(options) {
      calls.push({ name: "setStorage", options });
      storage.set(options.key, JSON.parse(JSON.stringify(options.data)));
      options.success();
    },
    getStorage(options) {
      if (storage.has(options.key)) options.success({ data: storage.get(options.key) });
      else options.fail({ errMsg: "getStorage:fail data not found" });
    },
    removeStorage(options) {
      storage.delete(options.key);
      options.success();
    },
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ""),
    setStorageSync: (key, value) => storage.set(key, value),
    getScreenBrightness: (options) => options.success({ value: wx.brightness }),
    setScreenBrightness: record("setScreenBrightness"),
    setKeepScreenOn: record("setKeepScreenOn"),
    vibrateShort: record("vibrateShort"),
    setTabBarBadge: record("setTabBarBadge"),
    removeTabBarBadge: record("removeTabBarBadge"),
    reLaunch: record("reLaunch"),
    switchTab: record("switchTab"),
    navigateTo: record("navigateTo"),
    showToast: record("showToast"),
    showModal: (options) => { calls.push({ name: "showModal", options }); options.success({ confirm: true }); },
    stopPullDownRefresh: record("stopPullDownRefresh"),
    getWindowInfo: () => ({ pixelRatio: 2 }),
    createSelectorQuery: () => {
      const query = {
        in: () => query, select: () => query, fields: () => query,
        exec: (callback) => callback([{ node: canvas, width: 280, height: 280 }]),
      };
      return query;
    },
    chooseMedia(options) {
      calls.push({ name: "chooseMedia", options });
      options.success({ tempFiles: [{ tempFilePath: "wxfile://tmp/a.jpg" }, { tempFilePath: "wxfile://tmp/b.jpg" }] });
    },
    compressImage(options) {
      calls.push({ name: "compressImage", options });
      options.success({ tempFilePath: options.src.replace(".jpg", "-small.jpg") });
    },
    getFileSystemManager: () => ({
      readFile: (options) => options.success({ data: new Uint8Array(Buffer.from("JPEGDATA:" + options.filePath)).buffer }),
    }),
  };
  return wx;
}

module.exports = { fakeWx };
