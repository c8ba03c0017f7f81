// Render a page or component of the mini-program with miniprogram-simulate, after a fresh fake `wx`.
const fs = require("fs");
const path = require("path");
const simulate = require("miniprogram-simulate");
const { fakeWx } = require("./fake-wx.js");

const ROOT = path.resolve(__dirname, "../..");

// The simulator runs a definition's file with require() and then drops it from a cache jest does not have, so a
// page or component used twice would register once. Run the file's text each time instead, its own require()s going
// through jest's registry, so pages and tests share one session module as in the app.
require("miniprogram-simulate/src/utils").runJs = (file) => {
  const filePath = file.endsWith(".js") ? file : file + ".js";
  const local = (name) => require(name.startsWith(".") ? path.resolve(path.dirname(filePath), name) : name);
  new Function("require", fs.readFileSync(filePath, "utf8"))(local); // eslint-disable-line no-new-func
};

function setUp() {
  global.wx = fakeWx();
  global.getApp = () => ({ ready: Promise.resolve() });
  return global.wx;
}

// Let the page's awaited requests (answered on the next macrotask) settle.
async function settle(rounds = 6) {
  for (let i = 0; i < rounds; i += 1) await new Promise((resolve) => setTimeout(resolve, 0));
}

function render(relative, properties) {
  const id = simulate.load(path.join(ROOT, relative), { rootPath: ROOT });
  const component = simulate.render(id, properties);
  component.attach(document.createElement("parent-wrapper"));
  return component;
}

// A page: rendered, then onLoad(options) and onShow() as WeChat calls them.
async function openPage(name, options = {}) {
  const component = render(`pages/${name}/${name}`);
  if (component.instance.onLoad) await component.instance.onLoad(options);
  if (component.instance.onShow) await component.instance.onShow();
  await settle();
  return component;
}

function text(component, selector) {
  const node = selector ? component.querySelector(selector) : component;
  return node ? node.dom.textContent.replace(/\s+/g, " ").trim() : null;
}

module.exports = { setUp, settle, render, openPage, text, ROOT };
