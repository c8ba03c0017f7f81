// 身份核对: one tap with WeChat; the first time (this WeChat account not yet bound), the citizen proves who they are
// once and the account is bound to that identity, so later sign-ins are one tap.
const api = require("../../utils/api.js");
const page = require("../../utils/page.js");

// The server's answers that mean "this WeChat account is not bound to anyone yet: prove who you are first".
const NOT_BOUND = ["wechat_not_bound", "wechat_unbound", "proof_required", "identity_required"];

Component({
  data: Object.assign(page.looks(), {
    step: "start", busy: false, why: "", error: "", fields: {},
    kind: "person", name: "", number: "",
  }),
  methods: {
    onLoad(options) {
      const why = options && options.why === "expired" ? "登录已过期，请重新登录。为保护您的信息，二维码已隐藏。" : "";
      this.setData(Object.assign(page.looks(), { why }));
    },
    async signIn() {
      this.setData({ busy: true, error: "" });
      try {
        await api.signInWithWechat();
        wx.switchTab({ url: "/pages/home/home" });
      } catch (error) {
        if (NOT_BOUND.includes(error.code)) this.setData({ step: "prove" });
        else this.setData({ error: page.words(error) });
      } finally {
        this.setData({ busy: false });
      }
    },
    pickKind(event) {
      this.setData({ kind: event.detail.value, fields: {} });
    },
    typed(event) {
      this.setData({ [event.currentTarget.dataset.name]: event.detail.value });
    },
    async prove() {
      const { kind, name, number } = this.data;
      const body = { provider: "dev", kind, name: name.trim() };
      body[kind === "enterprise" ? "uscc" : "id_number"] = number.trim().toUpperCase();
      this.setData({ busy: true, error: "", fields: {} });
      try {
        await api.prove(body);
        await api.bindWechat();
        wx.showToast({ title: "已绑定微信，下次一键登录", icon: "success" });
        wx.switchTab({ url: "/pages/home/home" });
      } catch (error) {
        const fields = error.fields || {};
        this.setData({ error: page.words(error), fields: { name: fields.name, number: fields.id_number || fields.uscc } });
      } finally {
        this.setData({ busy: false });
      }
    },
  },
});
