// `wx` for Node, against a real server: wx.request and wx.uploadFile over fetch, wx.login answering codes the WeChat
// stand-in understands (`<user>:<n>`), storage in memory; every exchange is kept for the OpenAPI check.
const fs = require("fs");
const path = require("path");

function nodeWx(user) {
  const exchanges = [];
  const storage = new Map();
  let logins = 0;

  async function send(url, init, requestJson, callbacks) {
    try {
      const answer = await fetch(url, init);
      const text = await answer.text();
      const json = (answer.headers.get("content-type") || "").includes("json") && text ? JSON.parse(text) : undefined;
      const { pathname } = new URL(url);
      exchanges.push({ method: init.method, path: pathname, requestJson, status: answer.status, responseJson: json });
      callbacks.success({ statusCode: answer.status, data: json !== undefined ? json : text, header: {} });
    } catch (error) {
      callbacks.fail({ errMsg: "request:fail " + error.message });
    }
  }

  return {
    exchanges,
    storage,
    request(options) {
      const method = options.method || "GET";
      const header = Object.assign({}, options.header);
      let body;
      let requestJson;
      if (options.data instanceof ArrayBuffer) body = Buffer.from(options.data);
      else if (options.data !== undefined) {
        requestJson = options.data;
        body = JSON.stringify(options.data);
      }
      send(options.url, { method, headers: header, body }, requestJson, options);
    },
    uploadFile(options) {
      const form = new FormData();
      for (const [name, value] of Object.entries(options.formData || {})) form.append(name, value);
      form.append(options.name, new Blob([fs.readFileSync(options.filePath)], { type: "image/jpeg" }),
        path.basename(options.filePath));
      send(options.url, { method: "POST", headers: Object.assign({}, options.header), body: form }, undefined, {
        success: (answer) => options.success(Object.assign(answer, { data: typeof answer.data === "string"
          ? answer.data : JSON.stringify(answer.data) })),
        fail: options.fail,
      });
    },
    login(options) {
      logins += 1;
      options.success({ code: `${user}:${logins}` });
    },
    getFileSystemManager: () => ({
      readFile: (options) => {
        const bytes = fs.readFileSync(options.filePath);
        options.success({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) });
      },
    }),
    setStorage: (options) => { storage.set(options.key, options.data); options.success(); },
    getStorage: (options) => (storage.has(options.key) ? options.success({ data: storage.get(options.key) })
      : options.fail({})),
    removeStorage: (options) => { storage.delete(options.key); options.success(); },
    reLaunch: () => {},
  };
}

module.exports = { nodeWx };
