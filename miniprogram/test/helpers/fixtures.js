// Answers shaped as the served OpenAPI description documents them (the integration test checks the real ones).
const subject = { id: 7, kind: "person", name_masked: "张*", id_number_masked: "4417**********0012", grade: "A" };
const entry = { id: 11, category: { code: "P02", name: "道德模范" }, recognized_on: "2025-03-01",
  expires_on: "2027-03-01", status: "active", status_before_objection: null, status_reason: null };
const measure = { id: 3, code: "XY-XING-01", title: "公交乘车五折", scenario: "travel", scenario_name: "信易行",
  provider: { id: 1, name: "阳江市公共汽车有限公司" }, lead_department: null, kinds: ["person"], categories: [],
  min_grade: null, benefit: { pay_percent: 50, summary: "按5折收费" }, description: "凭身份二维码乘车", valid_from: "2025-01-01",
  valid_to: "2027-12-31", status: "published" };
const me = { subject, listed: true, refusal: null, entries: [entry], measures: [measure] };
const redemption = (id) => ({ id, measure: { id: 3, title: "公交乘车五折" }, venue: { id: 1, name: "阳江市公共汽车有限公司" },
  redeemed_at: "2026-12-03T14:05:00+08:00", benefit: { pay_percent: 50, summary: "按5折收费" } });
const message = (id, read) => ({ id, title: "名单异议已受理", body: "您的名单异议已受理，请等待处理结果。", case_type: "objection",
  case_id: 5, created_at: "2026-12-03T10:00:00+08:00", read_at: read ? "2026-12-03T11:00:00+08:00" : null });
const objection = { id: 5, status: "under_review", created_at: "2026-12-02T09:00:00+08:00", due_at: "2026-12-20T00:00:00+08:00",
  overdue: false, history: [], evidence: [], type: "wrong_entry", entry_id: 11, attempt_id: null, statement: "认定日期有误",
  decision_reason: null, decided_at: null };
const complaint = { id: 9, status: "replied", created_at: "2026-12-01T09:00:00+08:00", due_at: "2026-12-15T00:00:00+08:00",
  overdue: false, history: [], evidence: [], kind: "suggestion", content: "希望增加地铁优惠", venue_id: null, measure_id: null,
  redemption_id: null, reply: "感谢建议，已转交。", replied_at: "2026-12-02T09:00:00+08:00", rating: null, rating_comment: null };

function codeAt(nowMs, ttl = 60) {
  return { token: "XY1:" + "A".repeat(156) + String(nowMs).slice(-4), expires_at: new Date(nowMs + ttl * 1000).toISOString(),
    ttl, refresh_in: ttl - 15 };
}

// A batch of windows of `ttl` seconds from `startMs`.
function batch(startMs, windows, ttl = 60) {
  const codes = [];
  for (let i = 0; i < windows; i += 1) {
    codes.push({ token: `XY1:OFFLINE${i}` + "B".repeat(150), not_before: new Date(startMs + i * ttl * 1000).toISOString(),
      expires_at: new Date(startMs + (i + 1) * ttl * 1000).toISOString() });
  }
  return { codes, valid_until: codes[codes.length - 1].expires_at };
}

module.exports = { subject, entry, measure, me, redemption, message, objection, complaint, codeAt, batch };
