// 核销记录: the incentives this citizen has used, newest first, a page more on reaching the bottom.
const api = require("../../utils/api.js");
const page = require("../../utils/page.js");
const time = require("../../utils/time.js");
const words = require("../../utils/words.js");

function itemView(item) {
  return { id: item.id, measure: item.measure.title, venue: item.venue.name, at: time.moment(item.redeemed_at),
    benefit: words.benefit(item.benefit) };
}

Component({
  data: Object.assign(page.looks(), { items: [], after: null, more: false, loaded: false, error: "" }),
  methods: {
    async onLoad() {
      this.setData(page.looks());
      if (await page.signedIn()) await this.load(null);
    },
    onReachBottom() {
      if (this.data.more) return this.load(this.data.after);
      return null;
    },
    more() {
      return this.load(this.data.after);
    },
    async load(after) {
      try {
        const answer = await api.redemptions(after);
        const items = (after ? this.data.items : []).concat(answer.items.map(itemView));
        this.setData({ items, after: answer.after || null, more: Boolean(answer.next), loaded: true, error: "" });
      } catch (error) {
        if (error.status !== 401) this.setData({ error: page.words(error), loaded: true });
      }
    },
    complain(event) {
      wx.navigateTo({ url: "/pages/complaint/complaint?redemption_id=" + event.currentTarget.dataset.id });
    },
  },
});
