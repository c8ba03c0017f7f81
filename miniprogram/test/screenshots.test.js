// Pictures of every page for README.md, run by hand: SCREENSHOTS=1 npx jest screenshots. Each page is rendered by
// miniprogram-simulate with the fixtures' answers, its WXML tree turned into plain HTML (view → div …) styled by
// app.wxss and the page's WXSS, under a navigation bar and the tab bar, and photographed by headless Chromium at a
// phone's size. The canvas QR is drawn as SVG from the same encoder.
const fs = require("fs");
const os = require("os");
const path = require("path");
const { execFileSync } = require("child_process");
const { setUp, settle, openPage, ROOT } = require("./helpers/render.js");
const fx = require("./helpers/fixtures.js");
const qr = require("../utils/qr.js");
const session = require("../utils/session.js");

const run = process.env.SCREENSHOTS ? describe : describe.skip;
const OUT = path.join(ROOT, "screenshots");
const TAGS = { "wx-view": "div", "wx-text": "span", "wx-button": "button", "wx-label": "label", "wx-picker": "div",
  "wx-scroll-view": "div", "wx-radio-group": "div", "wx-image": "img", "wx-textarea": "textarea", "wx-input": "input" };
const TABS = [["home", "首页"], ["qr", "亮码"], ["gift", "措施"], ["file", "办事"], ["bell", "消息"]];

function escape(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function svgOf(token) {
  const rows = qr.matrix(token);
  const side = rows.length + 8;
  const cells = rows.flatMap((row, r) => row.map((dark, c) => (dark ? `<rect x="${c + 4}" y="${r + 4}" width="1" height="1"/>` : "")));
  return `<svg viewBox="0 0 ${side} ${side}" width="280" height="280" shape-rendering="crispEdges"><rect width="${side}" height="${side}" fill="#fff"/>${cells.join("")}</svg>`;
}

function html(node, token) {
  if (typeof node === "string") return escape(node);
  const attrs = Object.fromEntries(node.attrs.map((a) => [a.name, a.value]));
  const inner = () => node.children.map((child) => html(child, token)).join("");
  const cls = attrs.class ? ` class="${escape(attrs.class)}"` : "";
  if (node.tagName === "wx-page-meta") return "";
  if (node.tagName === "wx-canvas") return svgOf(token);
  if (node.tagName === "wx-switch") return `<input type="checkbox" class="switch"${attrs.checked ? " checked" : ""}>`;
  if (node.tagName === "wx-radio") return `<input type="radio"${attrs.checked ? " checked" : ""}> `;
  if (node.tagName === "wx-input") return `<input${cls} value="${escape(attrs.value || "")}">`;
  if (node.tagName === "wx-textarea") return `<textarea${cls} placeholder="${escape(attrs.placeholder || "")}">${escape(attrs.value || "")}</textarea>`;
  if (node.tagName === "wx-image") return `<img${cls} src="${escape(attrs.src)}">`;
  const tag = TAGS[node.tagName] || (node.tagName === "main" ? "main" : "div");
  return `<${tag}${cls}>${inner()}</${tag}>`;
}

function css(file) {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").replace(/(^|[\s,}])page(\s*[{,])/g, "$1body$2") : "";
}

function shoot(name, component, { title, tab, elder, badge }) {
  const token = component.instance.code ? component.instance.code.token : "";
  const page = `pages/${component.__name}/${component.__name}`;
  const tabs = TABS.map(([icon, label], i) => `<div class="tab${i === tab ? " on" : ""}"><img src="file://${ROOT}/images/${icon}${i === tab ? "-on" : ""}.png">${label}${
    i === 4 && badge ? `<b class="badge">${badge}</b>` : ""}</div>`).join("");
  const doc = `<!doctype html><html style="font-size:${elder ? 20 : 16}px"><head><meta charset="utf-8"><style>
    body { margin: 0; } * { box-sizing: border-box; } button { border: 0; width: 100%; font: inherit; }
    input:not([type]), textarea { display: block; font: inherit; } input.switch { width: 2.5rem; height: 1.5rem; accent-color: #07c160; }
    .nav { background: #0b5cad; color: #fff; text-align: center; font-size: 17px; padding: 34px 0 12px; font-weight: 600; }
    .tabbar { position: fixed; bottom: 0; left: 0; right: 0; display: flex; background: #fff; border-top: 1px solid #ddd; }
    .tab { flex: 1; text-align: center; font-size: 10px; color: #4a5561; padding: 4px 0 18px; position: relative; }
    .tab.on { color: #0b5cad; } .tab img { display: block; width: 24px; height: 24px; margin: 0 auto 2px; }
    .badge { position: absolute; top: 0; left: 55%; background: #fa5151; color: #fff; border-radius: 9px; padding: 0 5px; font-size: 11px; }
    main { padding-bottom: 80px; }
    ${css(path.join(ROOT, "app.wxss"))}${css(path.join(ROOT, page + ".wxss"))}${css(path.join(ROOT, "components/photo-picker/photo-picker.wxss"))}
    .field input[type=radio] { flex: none; width: 1.375rem; height: 1.375rem; min-height: 0; padding: 0; margin: 0 0.5rem 0 0; accent-color: #07c160; }
    </style></head><body><div class="nav">${title}</div>${html(component.toJSON(), token)}${tab === null ? "" : `<div class="tabbar">${tabs}</div>`}</body></html>`;
  const file = path.join(os.tmpdir(), `mp-${name}.html`);
  fs.writeFileSync(file, doc);
  execFileSync("chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=2",
    "--window-size=375,812", `--screenshot=${path.join(OUT, name + ".png")}`, "file://" + file], { stdio: "ignore" });
}

async function page(name, options = {}) {
  const component = await openPage(name, options);
  component.__name = name;
  return component;
}

run("screenshots", () => {
  let wx;
  beforeEach(async () => {
    wx = setUp();
    await session.start("t", fx.subject);
    wx.route("GET /me", 200, fx.me);
    wx.route("GET /me/messages", 200, { items: [fx.message(1, false), fx.message(2, true)], next: null, unread: 1 });
    wx.route("GET /me/qrcode", 0, () => ({ statusCode: 200, data: fx.codeAt(Date.now()) }));
    wx.route("GET /me/codes", 0, () => ({ statusCode: 200, data: fx.batch(Date.now(), 3) }));
    wx.route("GET /me/redemptions", 200, { items: [fx.redemption(2), fx.redemption(1)], next: null, after: null });
    wx.route("GET /measures", 200, { items: [fx.measure, { ...fx.measure, id: 4, title: "景区门票免费", scenario: "tourism",
      provider: { id: 2, name: "海陵岛大角湾景区" }, benefit: { summary: "门票免费" }, description: "凭身份二维码入园" }] });
    wx.route("GET /objections", 200, { items: [fx.objection] });
    wx.route("GET /complaints", 200, { items: [fx.complaint] });
    wx.route("GET /me/wechat", 200, { bound: true, bindings: [] });
    wx.route("GET /auth/providers", 200, { login: ["dev", "wechat"], proof: ["dev"] });
    wx.route("POST /auth/login", 401, { error: { code: "wechat_not_bound", message: "请先核验一次身份" } });
  });

  test("every page, standard and 长辈版", async () => {
    fs.mkdirSync(OUT, { recursive: true });
    for (const elder of [false, true]) {
      wx.storage.set("elder", elder);
      const suffix = elder ? "-elder" : "";
      shoot("home" + suffix, await page("home"), { title: "身份核对", tab: 0, elder, badge: 1 });
      const code = await page("code");
      shoot("code" + suffix, code, { title: "身份二维码", tab: 1, elder, badge: 1 });
      shoot("measures" + suffix, await page("measures"), { title: "激励措施", tab: 2, elder, badge: 1 });
      shoot("cases" + suffix, await page("cases"), { title: "名单异议 / 投诉建议", tab: 3, elder, badge: 1 });
      shoot("messages" + suffix, await page("messages"), { title: "消息", tab: 4, elder, badge: 1 });
      shoot("redemptions" + suffix, await page("redemptions"), { title: "核销记录", tab: null, elder });
      shoot("objection" + suffix, await page("objection", { type: "wrong_entry", entry_id: "11" }), { title: "名单异议", tab: null, elder });
      shoot("complaint" + suffix, await page("complaint"), { title: "投诉建议", tab: null, elder });
      await session.clear();
      const login = await page("login");
      shoot("login" + suffix, login, { title: "身份核对", tab: null, elder });
      login.querySelector("#wechat").dispatchEvent("tap");
      await settle();
      shoot("login-first" + suffix, login, { title: "身份核对", tab: null, elder });
      await session.start("t", fx.subject);
      wx.route("GET /me/redemptions", 0, () => ({ statusCode: 200, data: { items: [fx.redemption(9 + (wx.requests().length > 5 ? 1 : 0))], next: null } }));
      const done = await page("code");
      done.instance.seen = 0;
      await done.instance.poll();
      shoot("code-redeemed" + suffix, done, { title: "身份二维码", tab: 1, elder, badge: 1 });
      done.instance.onHide();
      code.instance.onHide();
    }
  }, 600000);
});
