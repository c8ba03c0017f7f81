// 投诉建议: a complaint or a suggestion (about a redemption when opened from 核销记录), with photos.
const api = require("../../utils/api.js");
const page = require("../../utils/page.js");
const words = require("../../utils/words.js");

Component({
  data: Object.assign(page.looks(), { kinds: words.COMPLAINT_KINDS, kind: "complaint", content: "", photos: [],
    redemptionId: null, busy: false, error: "", fields: {} }),
  methods: {
    async onLoad(options) {
      const redemptionId = options && options.redemption_id ? Number(options.redemption_id) : null;
      this.setData(Object.assign(page.looks(), { redemptionId }));
      await page.signedIn();
    },
    pickKind(event) {
      this.setData({ kind: event.detail.value });
    },
    typed(event) {
      this.setData({ content: event.detail.value });
    },
    photos(event) {
      this.setData({ photos: event.detail.photos });
    },
    async submit() {
      const { kind, content, photos, redemptionId } = this.data;
      const fields = { kind, content: content.trim() };
      if (redemptionId) fields.redemption_id = redemptionId;
      this.setData({ busy: true, error: "", fields: {} });
      try {
        await api.fileComplaint(fields, photos);
        wx.showToast({ title: "已提交", icon: "success" });
        wx.switchTab({ url: "/pages/cases/cases" });
      } catch (error) {
        this.setData({ error: page.words(error), fields: error.fields || {} });
      } finally {
        this.setData({ busy: false });
      }
    },
  },
});
