// The decision card: what staff read at arm's length. Green with the benefit in the largest type and a 确认 button per
// measure; after 确认 a blue "已核销" card with a check mark; red with the reason and what to tell the citizen, with
// nothing to press. Texts come from the server's one table of reasons (embedded in the page).
const KINDS = { person: "个人", enterprise: "企业" };

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

  show(state, headline, detail = "") {
    this.root.className = `decision ${state}`;
    this.headline.textContent = headline;
    this.detail.textContent = detail;
    this.offers.replaceChildren();
  }

  idle() {
    this.show("idle", "请出示身份二维码", "将市民手机上的身份二维码对准摄像头，也可用扫码枪扫描。");
  }

  checking() {
    this.show("checking", "正在核验…");
  }

  who(subject) {
    if (!subject) return "";
    return [subject.name_masked, KINDS[subject.kind] || "", subject.grade ? `信用等级 ${subject.grade}` : ""]
      .filter(Boolean).join(" · ");
  }

  valid(answer, onConfirm) {
    this.show("valid", "✓ 可以享受守信激励", this.who(answer.subject));
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
    this.show("done", "✓ 已核销", this.who(answer.subject));
    const offer = element("div", "offer");
    offer.append(element("p", "benefit", measure.benefit.summary || measure.title));
    offer.append(element("p", "measure", measure.title));
    this.offers.append(offer);
  }

  queued(measure) {
    this.show("queued", "已确认，待上传", "网络恢复后自动上传，不要重复确认。");
    this.offers.append(element("p", "measure", measure.title));
  }

  invalid(code, subject) {
    const reason = this.reasons[code] || { title: `未通过（${code}）`, tell: "暂时不能享受这项优惠。", hint: "" };
    this.show("invalid", `✗ ${reason.title}`, this.who(subject));
    this.offers.append(element("p", "tell", `请告知对方：${reason.tell}`));
    if (reason.hint) this.offers.append(element("p", "hint", reason.hint));
  }

  unreachable() {
    this.show("unreachable", "网络不可用，无法核验", "请检查网络后，请对方重新出示二维码。");
  }
}
