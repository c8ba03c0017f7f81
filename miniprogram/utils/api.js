// The one door to the server: wraps wx.request and wx.uploadFile, keeps the sign-in, and turns every refusal (the
// API's {"error": {"code", "message", "fields"}}) or a failed network into plain Chinese words for the citizen.
const config = require("../config.js");
const session = require("./session.js");

const WORDS_BY_STATUS = {
  400: "提交的内容有误，请检查后重试",
  401: "登录已过期，请重新登录",
  403: "暂时不能办理这项业务",
  404: "没有找到相关内容，可能已被删除",
  409: "情况已有变化，请刷新后重试",
  413: "文件太大，请少选几张或换一张照片",
  415: "文件格式不支持，请选择照片",
  422: "提交的内容不符合要求，请检查后重试",
  429: "操作太频繁，请稍等一分钟再试",
};
const NETWORK_WORDS = "网络不可用，请检查网络后重试";
const BUSY_WORDS = "服务暂时不可用，请稍后重试";
// The server's own messages are Chinese; anything with a Latin word in it is not shown to a citizen.
const LATIN_WORD = /[A-Za-z]{2,}/;

class ApiError extends Error {
  constructor(status, code, words, fields) {
    super(words);
    this.status = status; // 0: no answer (offline, timeout)
    this.code = code;
    this.words = words;
    this.fields = fields || {};
  }
}

function chinese(text, fallback) {
  return typeof text === "string" && text && !LATIN_WORD.test(text) ? text : fallback;
}

// An answer that is not 2xx, as an ApiError with words a citizen can act on.
function refusal(status, body) {
  const fallback = WORDS_BY_STATUS[status] || BUSY_WORDS;
  const error = body && typeof body === "object" ? body.error : null;
  if (!error || typeof error.code !== "string") return new ApiError(status, "http_" + status, fallback);
  const fields = {};
  const add = (entries) => {
    for (const [name, words] of entries) {
      if (words && typeof words === "object" && !Array.isArray(words)) add(Object.entries(words)); // e.g. proof.name
      else fields[name] = chinese(Array.isArray(words) ? words.join("；") : String(words), "请检查这一项");
    }
  };
  add(Object.entries(error.fields || {}));
  return new ApiError(status, error.code, chinese(error.message, fallback), fields);
}

function queryString(query) {
  const parts = [];
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") {
      parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
    }
  }
  return parts.length ? "?" + parts.join("&") : "";
}

function headers(auth, extra) {
  const all = Object.assign({ Accept: "application/json" }, extra);
  const token = auth ? session.token() : null;
  if (token) all.Authorization = "Bearer " + token;
  return all;
}

// A signed-in call answered 401: the sign-in has ended (expired, signed out elsewhere); forget it everywhere.
function settle(status, body, auth) {
  if (status >= 200 && status < 300) return body === "" ? null : body;
  if (status === 401 && auth) session.ended();
  throw refusal(status, body);
}

function request({ method = "GET", path, query, data, auth = true, header }) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: config.server + "/api/v1" + path + queryString(query),
      method,
      data,
      header: headers(auth, Object.assign(data !== undefined && !(data instanceof ArrayBuffer)
        ? { "Content-Type": "application/json" } : {}, header)),
      timeout: 15000,
      success(answer) {
        try {
          resolve(settle(answer.statusCode, answer.data, auth));
        } catch (error) {
          reject(error);
        }
      },
      fail() {
        reject(new ApiError(0, "network", NETWORK_WORDS));
      },
    });
  });
}

function parsed(text) {
  try {
    return typeof text === "string" ? JSON.parse(text) : text;
  } catch (error) {
    return null;
  }
}

// One photo: wx.uploadFile sends it with the form's fields as multipart/form-data.
function uploadOne(path, fields, filePath) {
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: config.server + "/api/v1" + path,
      filePath,
      name: "evidence",
      formData: fields,
      header: headers(true),
      timeout: 60000,
      success(answer) {
        try {
          resolve(settle(answer.statusCode, parsed(answer.data), true));
        } catch (error) {
          reject(error);
        }
      },
      fail() {
        reject(new ApiError(0, "network", NETWORK_WORDS));
      },
    });
  });
}

function utf8(text) {
  const bytes = unescape(encodeURIComponent(text));
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 1) out[i] = bytes.charCodeAt(i);
  return out;
}

function readFile(filePath) {
  return new Promise((resolve, reject) => {
    wx.getFileSystemManager().readFile({
      filePath,
      success: (answer) => resolve(new Uint8Array(answer.data)),
      fail: () => reject(new ApiError(0, "file", "照片读取失败，请重新选择")),
    });
  });
}

// Several photos: wx.uploadFile carries one file, so the same multipart body is built here and sent by wx.request.
async function uploadMany(path, fields, filePaths) {
  const boundary = "----xinyi" + Date.now().toString(16) + Math.random().toString(16).slice(2);
  const parts = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(utf8(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (let i = 0; i < filePaths.length; i += 1) {
    const type = /\.png$/i.test(filePaths[i]) ? "image/png" : "image/jpeg";
    const filename = `photo${i + 1}.${type === "image/png" ? "png" : "jpg"}`;
    parts.push(utf8(`--${boundary}\r\nContent-Disposition: form-data; name="evidence"; filename="${filename}"\r\n`
      + `Content-Type: ${type}\r\n\r\n`));
    parts.push(await readFile(filePaths[i]));
    parts.push(utf8("\r\n"));
  }
  parts.push(utf8(`--${boundary}--\r\n`));
  const body = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let at = 0;
  for (const part of parts) {
    body.set(part, at);
    at += part.length;
  }
  return request({ method: "POST", path, data: body.buffer,
    header: { "Content-Type": "multipart/form-data; boundary=" + boundary } });
}

// A filing with its photos: JSON without any, multipart with them (empty fields left out).
function file(path, fields, photos) {
  const present = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && value !== "") present[name] = String(value);
  }
  if (!photos || photos.length === 0) {
    const body = Object.assign({}, present);
    for (const name of ["entry_id", "attempt_id", "venue_id", "measure_id", "redemption_id"]) {
      if (name in body) body[name] = Number(body[name]);
    }
    return request({ method: "POST", path, data: body });
  }
  return photos.length === 1 ? uploadOne(path, present, photos[0]) : uploadMany(path, present, photos);
}

function wxLoginCode() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (answer) => (answer.code ? resolve(answer.code) : reject(new ApiError(0, "wx_login", "微信登录失败，请重试"))),
      fail: () => reject(new ApiError(0, "wx_login", "微信登录失败，请检查网络后重试")),
    });
  });
}

async function signIn(body, auth = false) {
  const answer = await request({ method: "POST", path: "/auth/login", data: body, auth });
  await session.start(answer.access_token, answer.subject);
  return answer;
}

module.exports = {
  ApiError,
  request,
  refusal,
  NETWORK_WORDS,
  // The sign-in ways offered here: {"login": [...], "proof": [...]} (the proofs a first WeChat sign-in may use).
  providers: () => request({ path: "/auth/providers", auth: false }),
  // One tap: wx.login's code, exchanged by the server for the WeChat account it is bound to.
  signInWithWechat: async () => signIn({ provider: "wechat", code: await wxLoginCode() }),
  // The first time: a new code (each works once) with `proof`, who the citizen is by a real-name provider's fields;
  // the server binds this WeChat account to that identity and signs in, in one request.
  proveAndBind: async (proof) => signIn({ provider: "wechat", code: await wxLoginCode(), proof }),
  wechat: () => request({ path: "/me/wechat" }),
  unbindWechat: () => request({ method: "DELETE", path: "/me/wechat" }),
  logout: async () => {
    try {
      await request({ method: "POST", path: "/auth/logout" });
    } finally {
      await session.clear();
    }
  },
  me: () => request({ path: "/me" }),
  qrcode: () => request({ path: "/me/qrcode" }),
  codes: (hours) => request({ path: "/me/codes", query: { hours } }),
  redemptions: (after) => request({ path: "/me/redemptions", query: { after } }),
  measures: (query) => request({ path: "/measures", query, auth: false }),
  measure: (id) => request({ path: "/measures/" + id, auth: false }),
  objections: () => request({ path: "/objections" }),
  objection: (id) => request({ path: "/objections/" + id }),
  complaints: () => request({ path: "/complaints" }),
  complaint: (id) => request({ path: "/complaints/" + id }),
  fileObjection: (fields, photos) => file("/objections", fields, photos),
  fileComplaint: (fields, photos) => file("/complaints", fields, photos),
  messages: (page) => request({ path: "/me/messages", query: { page } }),
  readMessage: (id) => request({ method: "POST", path: `/me/messages/${id}/read` }),
};
