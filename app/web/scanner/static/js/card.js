// The decision card: what staff read at arm's length. Green with the benefit in the largest type and a 确认 button per
// measure; after 确认 a blue "已核销" card with a check mark; red with the reason and what to tell the citizen, with
// nothing to press. The counter's own problems (sign-in ended, stale page, server fault, no network) get an amber or
// grey card saying what staff should do, never a refusal. Texts come from the server's one table of reasons.
const KINDS = { person: "个人", enterprise: "企业" };
const FAULTS = {
  session: { state: "fault", headline: "登录已失效，请重新登录",
    detail: "这是本机的问题，与对方无关。重新登录后请对方再出示一次。", action: "重新登录" },
  stale: { state: "fault", headline: "页面已过期，请刷新",
    detail: "这是本机的问题，与对方无关。刷新后请对方再出示一次。", action: "刷新页面" },
  server: { state: "fault", headline: "服务器暂时故障，请稍后再试",
    detail: "这不是对方的问题。请对方稍等，几秒后自动重新核验。", action: "重新核验" },
  network: { state: "unreachable", headline: "网络不可用，无法核验，请稍后再试",
    detail: "这不是对方的问题。网络恢复后请对方再出示一次。" },
};

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class Card {
  constructor(root, reasons) {
    this.root = root;
    this.reasons = reasons;
    this.headline = root.querySelector("#headline");
    this.detail = root.querySelector("#detail");
    this.offers = root.querySelector("#offers");
  }

  paint(state, headline, detail = "") {
    this.root.className = `decision ${state}`;
    this.headline.textContent = headline;
    this.detail.textContent = detail;
    this.offers.replaceChildren();
  }

  idle() {
    this.paint("idle", "请出示身份二维码", "将市民手机上的身份二维码对准摄像头，也可用扫码枪扫描。");
  }

  checking() {
    this.paint("checking", "正在核验…");
  }

  who(subject) {
    if (!subject) return "";
    return [subject.name_masked, KINDS[subject.kind] || "", subject.grade ? `信用等级 ${subject.grade}` : ""]
      .filter(Boolean).join(" · ");
  }

  // A verify answer ({valid, reason, subject, measures}): green with what to give, or red with what to tell.
  show(answer, { onConfirm }) {
    if (answer.valid) this.valid(answer, onConfirm);
    else this.invalid(answer.reason, answer.subject);
  }

  valid(answer, onConfirm) {
    this.paint("valid", "✓ 可以享受守信激励", this.who(answer.subject));
    for (const measure of answer.measures) {
      const offer = element("div", "offer");
      offer.append(element("p", "benefit", measure.benefit.summary || measure.title));
      offer.append(element("p", "measure", measure.title));
      const button = element("button", "confirm", "确认");
      button.type = "button";
      button.setAttribute("aria-label", `确认实施：${measure.title}`);
      button.addEventListener("click", () => {
        this.offers.querySelectorAll("button").forEach((other) => { other.disabled = true; });
        onConfirm(measure);
      }, { once: true });
      offer.append(button);
      this.offers.append(offer);
    }
  }

  done(measure, answer) {
    this.paint("done", "✓ 已核销", this.who(answer.subject));
    const offer = element("div", "offer");
    offer.append(element("p", "benefit", measure.benefit.summary || measure.title));
    offer.append(element("p", "measure", measure.title));
    this.offers.append(offer);
  }

  queued(measure) {
    this.paint("queued", "已确认，待上传", "网络恢复后自动上传，不要重复确认。");
    this.offers.append(element("p", "measure", measure.title));
  }

  invalid(code, subject) {
    const reason = this.reasons[code];
    this.paint("invalid", `✗ ${reason.title}`, this.who(subject));
    this.offers.append(element("p", "tell", `请告知对方：${reason.tell}`));
    if (reason.hint) this.offers.append(element("p", "hint", reason.hint));
  }

  // The counter's own problem: "session", "stale", "server" or "network"; act is what its button does.
  fault(kind, act) {
    const fault = FAULTS[kind];
    this.paint(fault.state, fault.headline, fault.detail);
    const icon = element("span", "icon", "!");
    icon.setAttribute("aria-hidden", "true");
    this.headline.prepend(icon);
    if (fault.action && act) {
      const button = element("button", "act", fault.action);
      button.type = "button";
      button.addEventListener("click", act, { once: true });
      this.offers.append(button);
    }
  }
}
