// 身份核对: one tap with WeChat; the first time (this WeChat account not yet bound), the citizen proves who they are
// once and the account is bound to that identity, so later sign-ins are one tap.
const api = require("../../utils/api.js");
const page = require("../../utils/page.js");

// The server's answer for a WeChat account bound to no one yet: prove who you are, once.
const NOT_BOUND = "wechat_not_bound";

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
        if (error.code === NOT_BOUND) await this.askProof();
        else this.setData({ error: page.words(error) });
      } finally {
        this.setData({ busy: false });
      }
    },
    // The form of the real-name check this deployment offers (the demo's typed name and number); where the city's
    // platform is the only proof, the citizen is told to prove it there, as the mini-program cannot.
    async askProof() {
      try {
        const offered = await api.providers();
        this.setData({ step: offered.proof.includes("dev") ? "prove" : "elsewhere" });
      } catch (error) {
        this.setData({ error: page.words(error) });
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
        await api.proveAndBind(body);
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
