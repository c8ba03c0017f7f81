/**
 * @jest-environment node
 */
// The mini-program's API module against the real backend (gunicorn on loopback, started by
// tests/test_miniprogram.py with the WeChat stand-in): sign in with WeChat (first time with proof, then one tap),
// show a code that a counter verifies and redeems, keep offline codes, file an objection with photos, read the
// message, unbind. Every exchange is checked against the served OpenAPI description.
const { nodeWx } = require("./helpers/node-wx.js");
const { checkExchange } = require("./helpers/openapi.js");

const env = process.env;
const run = env.XINYI_SERVER ? describe : describe.skip;

run("the mini-program against the real backend", () => {
  let api;
  let session;
  let codes;
  let wx;
  const server = env.XINYI_SERVER;

  beforeAll(() => {
    require("../config.js").server = server;
    wx = nodeWx(env.WECHAT_USER);
    global.wx = wx;
    api = require("../utils/api.js");
    session = require("../utils/session.js");
    codes = require("../utils/codes.js");
  });

  async function staff(path, body, token) {
    const answer = await fetch(server + "/api/v1" + path, { method: "POST",
      headers: Object.assign({ "Content-Type": "application/json" }, token ? { Authorization: "Bearer " + token } : {}),
      body: JSON.stringify(body) });
    return { status: answer.status, body: await answer.json() };
  }

  const proof = () => ({ provider: "dev", kind: "person", name: env.CITIZEN_NAME, id_number: env.CITIZEN_ID_NUMBER });

  test("WeChat sign-in: first with proof, binding the account; then one tap", async () => {
    expect((await api.providers()).login).toContain("wechat");
    await expect(api.signInWithWechat()).rejects.toMatchObject({ status: 401, code: "wechat_not_bound" });
    const first = await api.proveAndBind(proof());
    expect(first.subject.name_masked).not.toBe(env.CITIZEN_NAME);
    await session.clear();
    const again = await api.signInWithWechat();
    expect(again.subject.id).toBe(first.subject.id);
    expect(session.token()).toBe(again.access_token);
    const me = await api.me();
    expect(me.listed).toBe(true);
    expect(JSON.stringify(me)).not.toContain(env.CITIZEN_ID_NUMBER);
  });

  test("a code shown is verified and redeemed by staff, and the newest redemption says 已核销", async () => {
    const before = (await api.redemptions()).items;
    const code = await api.qrcode();
    const login = await staff("/staff/login", { username: env.STAFF_USERNAME, password: env.STAFF_PASSWORD });
    const verdict = await staff("/scan/verify", { token: code.token }, login.body.access_token);
    expect(verdict.body.valid).toBe(true);
    const redeemed = await staff("/scan/redeem", { token: code.token, measure_id: Number(env.MEASURE_ID),
      idempotency_key: "mp-" + Date.now() }, login.body.access_token);
    expect(redeemed.status).toBe(201);
    const newest = (await api.redemptions()).items[0];
    expect(before.length === 0 || newest.id > before[0].id).toBe(true);
    expect(newest.id).toBe(redeemed.body.redemption.id);
    expect(newest.measure.title).toBeTruthy();
  });

  test("offline codes are kept on the phone and the current window's code passes at a counter", async () => {
    const batch = await codes.keep(Date.now());
    expect(batch.codes.length).toBeGreaterThan(100);
    expect(wx.storage.get(session.OFFLINE_KEY).codes).toHaveLength(batch.codes.length);
    const now = codes.current(await codes.storedBatch(), Date.now());
    const login = await staff("/staff/login", { username: env.STAFF_USERNAME, password: env.STAFF_PASSWORD });
    const verdict = await staff("/scan/verify", { token: now.token }, login.body.access_token);
    expect(verdict.body).toMatchObject({ valid: true, reason: null });
  });

  test("an objection with one photo (wx.uploadFile) and one with two (multipart), then the message is read", async () => {
    const one = await api.fileObjection({ type: "not_listed", statement: "我获得过市级道德模范称号，请补录。" }, [env.PHOTO]);
    expect(one.evidence).toHaveLength(1);
    const two = await api.fileComplaint({ kind: "suggestion", content: "希望公交优惠扩大到城际线路。" }, [env.PHOTO, env.PHOTO]);
    expect(two.evidence).toHaveLength(2);
    const listed = await api.objections();
    expect(listed.items.map((item) => item.id)).toContain(one.id);
    const inbox = await api.messages(1);
    expect(inbox.unread).toBeGreaterThanOrEqual(2);
    const about = inbox.items.find((message) => message.case_type === "objection" && message.case_id === one.id);
    expect(about.read_at).toBeNull();
    await api.readMessage(about.id);
    expect((await api.messages(1)).unread).toBe(inbox.unread - 1);
  });

  test("a refusal arrives as Chinese words with the field named", async () => {
    const refused = await api.fileObjection({ type: "not_listed", statement: "短" }, []).catch((error) => error);
    expect(refused.status).toBe(400);
    expect(refused.words).toMatch(/[\u4e00-\u9fa5]/);
    expect(refused.words).not.toMatch(/[A-Za-z]{2,}/);
    expect(Object.keys(refused.fields)).toContain("statement");
  });

  test("unbinding WeChat: the next tap asks for proof again", async () => {
    expect((await api.wechat()).bound).toBe(true);
    expect(await api.unbindWechat()).toEqual({ unbound: 1 });
    await api.logout();
    await expect(api.signInWithWechat()).rejects.toMatchObject({ code: "wechat_not_bound" });
  });

  test("every request and answer matches the served OpenAPI description, with no undocumented field", async () => {
    const spec = await (await fetch(server + "/api/v1/openapi.json")).json();
    const mine = wx.exchanges.filter((exchange) => exchange.path.startsWith("/api/v1/"));
    expect(mine.length).toBeGreaterThan(15);
    const problems = mine.flatMap((exchange) => checkExchange(spec, exchange));
    expect(problems).toEqual([]);
  });
});
