// 消息: what happened to the citizen's cases; a tap reads a message, and the tab's badge follows the unread count.
const api = require("../../utils/api.js");
const badge = require("../../utils/badge.js");
const page = require("../../utils/page.js");
const time = require("../../utils/time.js");

function messageView(message) {
  return { id: message.id, title: message.title, body: message.body, at: time.moment(message.created_at),
    unread: !message.read_at };
}

Component({
  data: Object.assign(page.looks(), { items: [], next: null, open: null, loaded: false, error: "" }),
  methods: {
    async onShow() {
      this.setData(page.looks());
      if (await page.signedIn()) await this.load(1);
    },
    async onPullDownRefresh() {
      await this.load(1);
      wx.stopPullDownRefresh();
    },
    onReachBottom() {
      return this.data.next ? this.load(this.data.next) : null;
    },
    async load(number) {
      try {
        const answer = await api.messages(number);
        const items = (number > 1 ? this.data.items : []).concat(answer.items.map(messageView));
        this.setData({ items, next: answer.next || null, loaded: true, error: "" });
        badge.show(answer.unread || 0);
      } catch (error) {
        if (error.status !== 401) this.setData({ error: page.words(error), loaded: true });
      }
    },
    async read(event) {
      const index = event.currentTarget.dataset.index;
      const message = this.data.items[index];
      this.setData({ open: this.data.open === message.id ? null : message.id });
      if (!message.unread) return;
      try {
        await api.readMessage(message.id);
        this.setData({ [`items[${index}].unread`]: false });
        await badge.refresh();
      } catch (error) {
        page.tell(error);
      }
    },
  },
});
