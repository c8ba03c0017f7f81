// 亮码 with the clock and the API faked: brightness and keep-screen-on, rotation, 已核销, offline codes from storage.
const { setUp, openPage } = require("./helpers/render.js");
const fx = require("./helpers/fixtures.js");
const qr = require("../utils/qr.js");
const session = require("../utils/session.js");

const START = Date.parse("2026-12-03T06:00:00Z");
let wx;
let redemptions;

async function advance(ms) {
  await jest.advanceTimersByTimeAsync(ms);
}

function count(path) {
  return wx.requests().filter((r) => r.url.split("/api/v1")[1].split("?")[0] === path).length;
}

beforeEach(async () => {
  jest.useFakeTimers({ now: START });
  wx = setUp();
  await session.start("citizen-token", fx.subject);
  redemptions = [fx.redemption(5)];
  wx.route("GET /me/qrcode", 0, () => ({ statusCode: 200, data: fx.codeAt(Date.now()) }));
  wx.route("GET /me/redemptions", 0, () => ({ statusCode: 200, data: { items: redemptions, next: null, after: null } }));
  wx.route("GET /me/codes", 0, () => ({ statusCode: 200, data: fx.batch(Date.now(), 720) }));
});

afterEach(() => {
  jest.useRealTimers();
});

async function open() {
  const page = openPage("code");
  await advance(50);
  return page;
}

test("the code is drawn from the token, the screen brightened and kept on, and restored on leaving", async () => {
  const page = await open();
  expect(page.instance.data.state).toBe("code");
  expect(page.querySelector("#countdown").dom.textContent).toContain("60");
  const dark = qr.matrix(page.instance.code.token).flat().filter(Boolean).length;
  expect(wx.canvasOps.filter((op) => op[0] === "rect")).toHaveLength(dark + 1); // the white ground, then each module
  expect(page.instance.data.qrSide * 2).toBe(wx.canvas.width); // shown at its drawn size: whole device pixels
  expect(wx.named("setScreenBrightness")).toEqual([expect.objectContaining({ value: 1 })]);
  expect(wx.named("setKeepScreenOn")).toEqual([expect.objectContaining({ keepScreenOn: true })]);
  page.instance.onHide();
  expect(wx.named("setScreenBrightness").pop().value).toBe(0.4);
  expect(wx.named("setKeepScreenOn").pop().keepScreenOn).toBe(false);
  const asked = wx.requests().length;
  await advance(60000);
  expect(wx.requests()).toHaveLength(asked); // nothing polled or rotated while hidden
});

test("a new code replaces the old before it expires, and the offline batch is fetched once and kept encrypted", async () => {
  const page = await open();
  const first = page.instance.code.token;
  await advance(44000);
  expect(count("/me/qrcode")).toBe(1);
  await advance(2000);
  expect(count("/me/qrcode")).toBe(2);
  expect(page.instance.code.token).not.toBe(first);
  expect(page.instance.data.state).toBe("code");
  expect(count("/me/codes")).toBe(1);
  expect(wx.requests().find((r) => r.url.includes("/me/codes")).url).toMatch(/hours=12$/);
  const kept = wx.named("setStorage").find((c) => c.key === session.OFFLINE_KEY);
  expect(kept.encrypt).toBe(true);
  expect(kept.data.subject_id).toBe(fx.subject.id);
});

test("已核销 shows within seconds of staff confirming, with the measure, benefit and venue", async () => {
  const page = await open();
  await advance(4000);
  expect(page.instance.data.state).toBe("code");
  redemptions = [fx.redemption(6), fx.redemption(5)];
  await advance(2100);
  expect(page.instance.data.state).toBe("done");
  const done = page.querySelector("#done").dom.textContent;
  expect(done).toContain("已核销");
  expect(done).toContain("公交乘车五折");
  expect(done).toContain("按5折收费");
  expect(done).toContain("阳江市公共汽车有限公司");
  expect(wx.named("vibrateShort")).toHaveLength(1);
  page.querySelector("#again").dispatchEvent("tap");
  await advance(50);
  expect(page.instance.data.state).toBe("code");
  expect(count("/me/qrcode")).toBe(2);
});

test("with no network the code of this window comes from the phone's batch, then the next window's", async () => {
  wx.storage.set(session.OFFLINE_KEY, { subject_id: fx.subject.id, ...fx.batch(START - 30000, 5) });
  wx.offline = true;
  const page = await open();
  expect(page.instance.data.state).toBe("code");
  expect(page.instance.code.token).toMatch(/^XY1:OFFLINE0/);
  expect(page.querySelector("#offline")).toBeTruthy();
  expect(page.querySelector("#countdown").dom.textContent).toContain("30");
  await advance(31000);
  expect(page.instance.code.token).toMatch(/^XY1:OFFLINE1/);
});

test("offline codes of another citizen on the same phone are never shown", async () => {
  wx.storage.set(session.OFFLINE_KEY, { subject_id: 99, ...fx.batch(START - 30000, 5) });
  wx.offline = true;
  const page = await open();
  expect(page.instance.data.state).toBe("lapsed");
  expect(page.querySelector("#lapsed").dom.textContent).toContain("手机上也没有可用的离线二维码");
});

test("a code that lapses with no network and no batch is hidden, not left to be refused at the counter", async () => {
  wx.route("GET /me/codes", 503, { error: { code: "service_unavailable", message: "服务暂时不可用" } });
  const page = await open();
  wx.offline = true;
  await advance(61000);
  expect(page.instance.data.state).toBe("lapsed");
  expect(page.querySelector(".qr")).toBeFalsy();
});

test("a citizen who may not use incentives is told why, and the phone's offline codes are dropped", async () => {
  wx.route("GET /me/qrcode", 403, { error: { code: "listing_suspended", message: "您的守信激励资格已暂停" } });
  wx.storage.set(session.OFFLINE_KEY, { subject_id: fx.subject.id, ...fx.batch(START, 5) });
  const page = await open();
  expect(page.instance.data.state).toBe("refused");
  expect(page.querySelector("#refused").dom.textContent).toContain("您的守信激励资格已暂停");
  expect(wx.storage.has(session.OFFLINE_KEY)).toBe(false);
});
