// Every page rendered with the API faked at the wx.request boundary: what the citizen reads, and what it sends.
const { setUp, settle, openPage, render, text } = require("./helpers/render.js");
const fx = require("./helpers/fixtures.js");
const session = require("../utils/session.js");

let wx;
beforeEach(async () => {
  wx = setUp();
  await session.start("citizen-token", fx.subject);
});

test("首页 says the citizen is listed, shows only masked numbers, and the entries with an objection each", async () => {
  wx.route("GET /me", 200, fx.me);
  wx.route("GET /me/messages", 200, { items: [fx.message(1, false)], next: null, unread: 3 });
  const home = await openPage("home");
  expect(text(home, "#verdict")).toContain("您是守信激励对象");
  expect(text(home, "#verdict")).toContain("1 项激励措施");
  expect(text(home, "#who")).toContain("4417**********0012");
  expect(text(home)).toContain("道德模范");
  expect(text(home)).toContain("2027年3月1日");
  expect(wx.requests()[0].header.Authorization).toBe("Bearer citizen-token");
  expect(wx.named("setTabBarBadge")).toEqual([expect.objectContaining({ index: 4, text: "3" })]);
});

test("首页 of a citizen not listed says why in words, and offers the objection", async () => {
  wx.route("GET /me", 200, { ...fx.me, listed: false, refusal: "listing_suspended", measures: [] });
  const home = await openPage("home");
  expect(text(home, "#verdict")).toContain("您的守信激励资格已暂停");
  expect(text(home)).not.toMatch(/listing_suspended/);
  expect(home.querySelector("#object")).toBeTruthy();
  expect(home.querySelector("#show-code")).toBeFalsy();
});

test("长辈版 raises the root size to 20 px on every page and is kept on the phone", async () => {
  wx.route("GET /me", 200, fx.me);
  const home = await openPage("home");
  expect(home.instance.data.rootSize).toBe("16px");
  home.querySelector("#elder").dispatchEvent("change", { detail: { value: true } });
  await settle();
  expect(home.instance.data.rootSize).toBe("20px");
  expect(home.querySelector(".page").dom.className).toContain("elder");
  wx.route("GET /measures", 200, { items: [fx.measure] });
  const measures = await openPage("measures");
  expect(measures.instance.data.rootSize).toBe("20px");
});

test("unbinding WeChat asks first, then unbinds, signs out and forgets the offline codes", async () => {
  wx.route("GET /me", 200, fx.me);
  wx.route("GET /me/wechat", 200, { bound: true, bindings: [{ id: 1, bound_at: "2026-12-01T09:00:00+08:00",
    last_used_at: "2026-12-03T09:00:00+08:00" }] });
  wx.route("DELETE /me/wechat", 200, { unbound: 1 });
  wx.route("POST /auth/logout", 204, "");
  wx.storage.set(session.OFFLINE_KEY, fx.batch(Date.now(), 3));
  const home = await openPage("home");
  home.querySelector("#unbind").dispatchEvent("tap");
  await settle();
  expect(wx.named("showModal")[0].title).toBe("解除微信绑定");
  expect(wx.requests().map((r) => r.method + " " + r.url.split("/api/v1")[1])).toEqual(
    expect.arrayContaining(["DELETE /me/wechat", "POST /auth/logout"]));
  expect(session.token()).toBeNull();
  expect(wx.storage.has(session.OFFLINE_KEY)).toBe(false);
  expect(wx.named("reLaunch")[0].url).toBe("/pages/login/login");
});

test("首页 offers 解除微信绑定 only while a WeChat account is bound", async () => {
  wx.route("GET /me", 200, fx.me);
  wx.route("GET /me/wechat", 200, { bound: false, bindings: [] });
  const home = await openPage("home");
  expect(home.querySelector("#unbind")).toBeFalsy();
});

test("身份核对 signs in with one tap when this WeChat account is bound", async () => {
  wx.route("POST /auth/login", 200, (body) => ({ statusCode: 200, data: { access_token: "t-" + body.code, token_type: "Bearer",
    expires_in: 3600, subject: fx.subject } }));
  await session.clear();
  const login = await openPage("login");
  login.querySelector("#wechat").dispatchEvent("tap");
  await settle();
  const sent = wx.requests()[0];
  expect(sent.data).toEqual({ provider: "wechat", code: expect.stringMatching(/^wx-code-/) });
  expect(sent.header.Authorization).toBeUndefined();
  expect(session.token()).toMatch(/^t-wx-code-/);
  expect(wx.named("setStorage").find((c) => c.key === "session").encrypt).toBe(true);
  expect(wx.named("switchTab")[0].url).toBe("/pages/home/home");
});

test("身份核对 the first time: proves who the citizen is with a new code, binding this WeChat account", async () => {
  const bodies = [];
  wx.route("GET /auth/providers", 200, { login: ["dev", "wechat"], proof: ["dev"] });
  wx.route("POST /auth/login", 0, (body) => {
    bodies.push(body);
    if (!body.proof) return { statusCode: 401, data: { error: { code: "wechat_not_bound", message: "请先核验一次身份" } } };
    return { statusCode: 200, data: { access_token: "t1", token_type: "Bearer", expires_in: 3600, subject: fx.subject } };
  });
  await session.clear();
  const login = await openPage("login");
  login.querySelector("#wechat").dispatchEvent("tap");
  await settle();
  expect(session.token()).toBeNull();
  expect(login.querySelector("#prove")).toBeTruthy();
  login.querySelector("#name").dispatchEvent("input", { detail: { value: "张三" } });
  login.querySelector("#number").dispatchEvent("input", { detail: { value: "44170219900101001x" } });
  login.querySelector("#prove").dispatchEvent("tap");
  await settle();
  expect(bodies[1]).toEqual({ provider: "wechat", code: expect.stringMatching(/^wx-code-/),
    proof: { provider: "dev", kind: "person", name: "张三", id_number: "44170219900101001X" } });
  expect(bodies[1].code).not.toBe(bodies[0].code); // a wx.login code works once
  expect(session.token()).toBe("t1");
  expect(wx.named("switchTab")[0].url).toBe("/pages/home/home");
});

test("身份核对 where only the city's platform proves identity says so instead of a form", async () => {
  wx.route("GET /auth/providers", 200, { login: ["gov", "wechat"], proof: ["gov"] });
  wx.route("POST /auth/login", 401, { error: { code: "wechat_not_bound", message: "请先核验一次身份" } });
  const login = await openPage("login");
  login.querySelector("#wechat").dispatchEvent("tap");
  await settle();
  expect(login.querySelector("#prove")).toBeFalsy();
  expect(text(login, "#elsewhere")).toContain("政务服务平台");
});

test("身份核对 says a failed network in plain words", async () => {
  wx.offline = true;
  const login = await openPage("login", { why: "expired" });
  expect(text(login, "#why")).toContain("登录已过期");
  login.querySelector("#wechat").dispatchEvent("tap");
  await settle();
  expect(text(login, "#error")).toBe("网络不可用，请检查网络后重试");
});

test("激励措施 lists the published measures and filters by scenario", async () => {
  wx.route("GET /measures", 200, { items: [fx.measure] });
  const page = await openPage("measures");
  expect(text(page)).toContain("公交乘车五折");
  expect(text(page)).toContain("按5折收费");
  expect(wx.requests()[0].header.Authorization).toBeUndefined();
  page.querySelectorAll(".chip")[1].dispatchEvent("tap");
  await settle();
  expect(wx.requests()[1].url).toMatch(/\/measures\?scenario=travel$/);
});

test("核销记录 lists redemptions and loads the next page from `after`", async () => {
  wx.route("GET /me/redemptions", 0, () => ({ statusCode: 200,
    data: wx.requests().length === 1 ? { items: [fx.redemption(2)], next: 2, after: "1764.2" } : { items: [fx.redemption(1)], next: null, after: null } }));
  const page = await openPage("redemptions");
  expect(text(page)).toContain("阳江市公共汽车有限公司");
  expect(text(page)).toContain("2026年12月3日 14:05");
  page.querySelector("#more").dispatchEvent("tap");
  await settle();
  expect(wx.requests()[1].url).toMatch(/after=1764.2$/);
  expect(page.querySelectorAll(".redemption").length).toBe(2);
  expect(page.querySelector("#more")).toBeFalsy();
});

test("办事 lists the citizen's objections and complaints, newest first, with state and reply", async () => {
  wx.route("GET /objections", 200, { items: [fx.objection] });
  wx.route("GET /complaints", 200, { items: [fx.complaint] });
  const page = await openPage("cases");
  const cards = page.querySelectorAll(".case").map((card) => text(card));
  expect(cards[0]).toContain("名单异议 · 名单信息有误");
  expect(cards[0]).toContain("审核中");
  expect(cards[1]).toContain("感谢建议，已转交。");
});

test("消息 reads a message on a tap and the tab's badge follows", async () => {
  let unread = 2;
  wx.route("GET /me/messages", 0, () => ({ statusCode: 200, data: { items: [fx.message(1, unread < 2), fx.message(2, true)], next: null, unread } }));
  wx.route("POST /me/messages/1/read", 0, () => { unread = 1; return { statusCode: 200, data: fx.message(1, true) }; });
  const page = await openPage("messages");
  expect(wx.named("setTabBarBadge").pop().text).toBe("2");
  expect(page.querySelectorAll(".unread").length).toBe(1);
  page.querySelectorAll(".message")[0].dispatchEvent("tap");
  await settle();
  expect(text(page)).toContain("您的名单异议已受理");
  expect(page.querySelectorAll(".unread").length).toBe(0);
  expect(wx.named("setTabBarBadge").pop().text).toBe("1");
});

test("名单异议 files JSON without photos, naming the entry for a wrong entry", async () => {
  wx.route("GET /me", 200, fx.me);
  wx.route("POST /objections", 201, { ...fx.objection, status: "submitted" });
  const page = await openPage("objection", { type: "wrong_entry", entry_id: "11" });
  expect(page.querySelector("#entry")).toBeTruthy();
  page.querySelector("#statement").dispatchEvent("input", { detail: { value: "  认定日期有误  " } });
  page.querySelector("#submit").dispatchEvent("tap");
  await settle();
  const sent = wx.requests().find((r) => r.method === "POST");
  expect(sent.data).toEqual({ type: "wrong_entry", statement: "认定日期有误", entry_id: 11 });
  expect(wx.named("switchTab")[0].url).toBe("/pages/cases/cases");
});

test("名单异议 with photos: chosen, compressed, sent together in one multipart request", async () => {
  wx.route("GET /me", 200, fx.me);
  wx.route("POST /objections", 201, fx.objection);
  const page = await openPage("objection", { type: "not_listed" });
  page.querySelector("#photos").querySelector("#add").dispatchEvent("tap");
  await settle();
  expect(wx.named("compressImage").map((c) => c.src)).toEqual(["wxfile://tmp/a.jpg", "wxfile://tmp/b.jpg"]);
  page.querySelector("#statement").dispatchEvent("input", { detail: { value: "我获得过市级道德模范" } });
  page.querySelector("#submit").dispatchEvent("tap");
  await settle();
  const sent = wx.requests().find((r) => r.method === "POST");
  expect(sent.header["Content-Type"]).toMatch(/^multipart\/form-data; boundary=/);
  const body = Buffer.from(sent.data).toString();
  expect(body.match(/name="evidence"/g)).toHaveLength(2);
  expect(body).toContain("JPEGDATA:wxfile://tmp/a-small.jpg");
  expect(body).toContain("我获得过市级道德模范");
});

test("投诉建议 with one photo goes through wx.uploadFile; a refusal's words are shown", async () => {
  wx.route("POST /complaints", 0, () => ({ statusCode: 422, data: { error: { code: "invalid_request", message: "内容太短",
    fields: { content: "至少写 5 个字" } } } }));
  wx.chooseMedia = (options) => options.success({ tempFiles: [{ tempFilePath: "wxfile://tmp/c.jpg" }] });
  const page = await openPage("complaint", { redemption_id: "4" });
  page.querySelector("#photos").querySelector("#add").dispatchEvent("tap");
  await settle();
  page.querySelector("#content").dispatchEvent("input", { detail: { value: "慢" } });
  page.querySelector("#submit").dispatchEvent("tap");
  await settle();
  const upload = wx.named("uploadFile")[0];
  expect(upload.filePath).toBe("wxfile://tmp/c-small.jpg");
  expect(upload.name).toBe("evidence");
  expect(upload.formData).toEqual({ kind: "complaint", content: "慢", redemption_id: "4" });
  expect(text(page, "#error")).toBe("内容太短");
  expect(text(page)).toContain("至少写 5 个字");
});

test("photo-picker removes a photo on a tap and stops at five", async () => {
  const picker = render("components/photo-picker/photo-picker");
  const changes = [];
  picker.instance.triggerEvent = (name, detail) => changes.push(detail.photos);
  for (let i = 0; i < 3; i += 1) picker.querySelector("#add").dispatchEvent("tap");
  await settle();
  expect(picker.instance.data.photos).toHaveLength(5);
  expect(picker.querySelector("#add")).toBeFalsy();
  picker.querySelectorAll(".thumb")[0].dispatchEvent("tap");
  await settle();
  expect(changes.pop()).toHaveLength(4);
});

test("a call answered 401 forgets the sign-in and the offline codes and goes to 身份核对", async () => {
  wx.route("GET /me", 401, { error: { code: "session_expired", message: "登录已过期，请重新登录" } });
  wx.storage.set(session.OFFLINE_KEY, fx.batch(Date.now(), 3));
  await openPage("home");
  expect(session.token()).toBeNull();
  expect(wx.storage.has(session.OFFLINE_KEY)).toBe(false);
  expect(wx.named("reLaunch")[0].url).toBe("/pages/login/login?why=expired");
});
