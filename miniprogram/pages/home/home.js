// 首页: whether the citizen is a 守信激励对象 and why not, who they are (masked), their list entries with the
// objection each allows, and the settings: 长辈版, unbinding WeChat, signing out.
const api = require("../../utils/api.js");
const badge = require("../../utils/badge.js");
const codes = require("../../utils/codes.js");
const elder = require("../../utils/elder.js");
const page = require("../../utils/page.js");
const time = require("../../utils/time.js");
const words = require("../../utils/words.js");

function entryView(entry) {
  return {
    id: entry.id,
    category: entry.category.name,
    status: words.ENTRY_STATUS[entry.status] || entry.status,
    ok: entry.status === "active",
    underObjection: entry.status === "under_objection",
    objectionType: entry.status === "suspended" ? "wrongly_suspended" : "wrong_entry",
    recognized: time.date(entry.recognized_on),
    expires: time.date(entry.expires_on),
    reason: entry.status_reason || "",
  };
}

Component({
  data: Object.assign(page.looks(), { bound: false, loaded: false, error: "", me: null, entries: [], refusal: "", offers: 0 }),
  methods: {
    async onShow() {
      this.setData(page.looks());
      if (!(await page.signedIn())) return;
      await this.load();
      badge.refresh();
    },
    async onPullDownRefresh() {
      await this.load();
      wx.stopPullDownRefresh();
    },
    async load() {
      api.wechat().then((status) => this.setData({ bound: status.bound }), () => {});
      try {
        const me = await api.me();
        this.setData({
          loaded: true, error: "",
          me: { name: me.subject.name_masked, kind: words.KINDS[me.subject.kind], number: me.subject.id_number_masked,
            grade: me.subject.grade || "暂无" },
          listed: me.listed,
          refusal: me.listed ? "" : words.refusal(me.refusal),
          offers: me.measures.length,
          entries: me.entries.map(entryView),
        });
      } catch (error) {
        if (error.status !== 401) this.setData({ error: page.words(error) });
      }
    },
    showCode() {
      wx.switchTab({ url: "/pages/code/code" });
    },
    open(event) {
      wx.navigateTo({ url: event.currentTarget.dataset.url });
    },
    openTab(event) {
      wx.switchTab({ url: event.currentTarget.dataset.url });
    },
    toggleElder(event) {
      elder.set(event.detail.value);
      this.setData(page.looks());
    },
    unbind() {
      wx.showModal({
        title: "解除微信绑定",
        content: "解除后，用本微信登录需要重新核对身份。手机上保存的离线二维码也会删除。",
        confirmText: "解除绑定",
        confirmColor: "#c62828",
        success: async (choice) => {
          if (!choice.confirm) return;
          try {
            await api.unbindWechat();
            await api.logout();
            wx.reLaunch({ url: "/pages/login/login" });
          } catch (error) {
            page.tell(error);
          }
        },
      });
    },
    async logout() {
      try {
        await codes.forget();
        await api.logout();
      } catch (error) {
        // signed out on this phone all the same
      }
      wx.reLaunch({ url: "/pages/login/login" });
    },
  },
});
