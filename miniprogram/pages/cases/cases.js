// 办事: start a 名单异议 or 投诉建议, and follow the citizen's own cases: state, deadline, and what happened when.
const api = require("../../utils/api.js");
const page = require("../../utils/page.js");
const time = require("../../utils/time.js");
const words = require("../../utils/words.js");

const TYPE_NAMES = Object.fromEntries(words.OBJECTION_TYPES.map((t) => [t.value, t.label]));
const KIND_NAMES = Object.fromEntries(words.COMPLAINT_KINDS.map((k) => [k.value, k.label]));

function caseView(item, what) {
  return {
    key: what + item.id,
    title: what === "objection" ? "名单异议 · " + TYPE_NAMES[item.type] : KIND_NAMES[item.kind],
    text: item.statement || item.content || "",
    status: words.CASE_STATUS[item.status] || "",
    overdue: Boolean(item.overdue),
    created: time.moment(item.created_at),
    due: time.date(item.due_at),
    reply: item.reply || item.decision_reason || "",
    created_at: item.created_at,
  };
}

Component({
  data: Object.assign(page.looks(), { items: [], loaded: false, error: "" }),
  methods: {
    async onShow() {
      this.setData(page.looks());
      if (await page.signedIn()) await this.load();
    },
    async onPullDownRefresh() {
      await this.load();
      wx.stopPullDownRefresh();
    },
    async load() {
      try {
        const [objections, complaints] = await Promise.all([api.objections(), api.complaints()]);
        const items = objections.items.map((item) => caseView(item, "objection"))
          .concat(complaints.items.map((item) => caseView(item, "complaint")))
          .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
        this.setData({ items, loaded: true, error: "" });
      } catch (error) {
        if (error.status !== 401) this.setData({ error: page.words(error), loaded: true });
      }
    },
    open(event) {
      wx.navigateTo({ url: event.currentTarget.dataset.url });
    },
  },
});
