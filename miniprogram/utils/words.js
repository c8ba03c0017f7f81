// What the citizen reads for the API's codes and states: the same words as the web app's pages.
const REFUSALS = {
  not_listed: "您尚未列入守信激励对象名单",
  listing_expired: "您的守信激励名单已过有效期",
  listing_suspended: "您的守信激励资格已暂停",
  excluded_dishonest: "您近三年内有严重失信记录，暂不能享受守信激励",
  under_objection: "您的名单正在异议处理中",
};
const KINDS = { person: "个人", enterprise: "企业" };
const ENTRY_STATUS = { active: "有效", expired: "已过期", suspended: "已暂停", revoked: "已撤销", under_objection: "异议处理中" };
const CASE_STATUS = { submitted: "已提交", under_review: "审核中", upheld: "异议成立", rejected: "异议不成立",
  closed: "已办结", assigned: "已转办", replied: "已答复" };
const OBJECTION_TYPES = [
  { value: "not_listed", label: "未列入名单" },
  { value: "wrong_entry", label: "名单信息有误" },
  { value: "wrongly_suspended", label: "被错误暂停" },
  { value: "scan_refused", label: "扫码被拒" },
  { value: "other", label: "其他" },
];
const COMPLAINT_KINDS = [{ value: "complaint", label: "投诉" }, { value: "suggestion", label: "建议" }];
const SCENARIOS = { travel: "信易行", tourism: "信易游", rent: "信易租", health: "信易医", loan: "信易贷",
  insurance: "信易保", regulation: "信易管", benefit: "信易惠", hiring: "信易聘" };

function refusal(code) {
  return REFUSALS[code] || "暂不能享受守信激励";
}

// A benefit as one line: the server words it (`summary`); a percentage where it gives only that.
function benefit(value) {
  if (!value || typeof value !== "object") return "";
  if (typeof value.summary === "string") return value.summary;
  if (typeof value.pay_percent === "number") return `按${value.pay_percent / 10}折收费`;
  return "";
}

module.exports = { REFUSALS, KINDS, ENTRY_STATUS, CASE_STATUS, OBJECTION_TYPES, COMPLAINT_KINDS, SCENARIOS,
  refusal, benefit };
