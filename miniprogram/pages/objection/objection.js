// 名单异议: what is wrong (not listed, a wrong entry, wrongly suspended …), which entry, in the citizen's words, with
// photos of proof; filed as one request, then the case list shows its progress.
const api = require("../../utils/api.js");
const page = require("../../utils/page.js");
const words = require("../../utils/words.js");

const NEEDS_ENTRY = ["wrong_entry", "wrongly_suspended"];

Component({
  data: Object.assign(page.looks(), { types: words.OBJECTION_TYPES.filter((t) => t.value !== "scan_refused"),
    type: "not_listed", entries: [], entryIndex: 0, needsEntry: false, statement: "", photos: [], attemptId: null,
    busy: false, error: "", fields: {} }),
  methods: {
    async onLoad(options) {
      const type = (options && options.type) || "not_listed";
      const attemptId = options && options.attempt_id ? Number(options.attempt_id) : null;
      const types = words.OBJECTION_TYPES.filter((t) => t.value !== "scan_refused" || attemptId);
      this.setData(Object.assign(page.looks(), { type, types, attemptId, needsEntry: NEEDS_ENTRY.includes(type) }));
      if (!(await page.signedIn())) return;
      try {
        const me = await api.me();
        const entries = me.entries.map((entry) => ({ id: entry.id, label: entry.category.name }));
        const wanted = options && options.entry_id ? Number(options.entry_id) : null;
        this.setData({ entries, entryIndex: Math.max(0, entries.findIndex((entry) => entry.id === wanted)) });
      } catch (error) {
        page.tell(error);
      }
    },
    pickType(event) {
      const type = event.detail.value;
      this.setData({ type, needsEntry: NEEDS_ENTRY.includes(type) });
    },
    pickEntry(event) {
      this.setData({ entryIndex: Number(event.detail.value) });
    },
    typed(event) {
      this.setData({ statement: event.detail.value });
    },
    photos(event) {
      this.setData({ photos: event.detail.photos });
    },
    async submit() {
      const { type, needsEntry, entries, entryIndex, statement, photos, attemptId } = this.data;
      const fields = { type, statement: statement.trim() };
      if (needsEntry && entries[entryIndex]) fields.entry_id = entries[entryIndex].id;
      if (type === "scan_refused" && attemptId) fields.attempt_id = attemptId;
      this.setData({ busy: true, error: "", fields: {} });
      try {
        await api.fileObjection(fields, photos);
        wx.showToast({ title: "异议已提交", icon: "success" });
        wx.switchTab({ url: "/pages/cases/cases" });
      } catch (error) {
        this.setData({ error: page.words(error), fields: error.fields || {} });
      } finally {
        this.setData({ busy: false });
      }
    },
  },
});
