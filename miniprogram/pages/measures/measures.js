// 激励措施: the published measures (public, no sign-in needed), by scenario (信易行, 信易游 …).
const api = require("../../utils/api.js");
const page = require("../../utils/page.js");
const time = require("../../utils/time.js");
const words = require("../../utils/words.js");

const ALL = { value: "", label: "全部" };

function measureView(measure) {
  return {
    id: measure.id,
    title: measure.title,
    scenario: words.SCENARIOS[measure.scenario] || "",
    provider: measure.provider ? measure.provider.name : "",
    benefit: words.benefit(measure.benefit),
    description: measure.description || "",
    until: measure.valid_to ? time.date(measure.valid_to) : "长期",
    minGrade: measure.min_grade || "",
  };
}

Component({
  data: Object.assign(page.looks(), {
    scenarios: [ALL].concat(Object.entries(words.SCENARIOS).map(([value, label]) => ({ value, label }))),
    scenario: "", items: [], loaded: false, error: "",
  }),
  methods: {
    onShow() {
      this.setData(page.looks());
      return this.load();
    },
    async onPullDownRefresh() {
      await this.load();
      wx.stopPullDownRefresh();
    },
    pick(event) {
      this.setData({ scenario: event.currentTarget.dataset.value });
      return this.load();
    },
    async load() {
      try {
        const answer = await api.measures({ scenario: this.data.scenario });
        this.setData({ items: answer.items.map(measureView), loaded: true, error: "" });
      } catch (error) {
        this.setData({ error: page.words(error), loaded: true });
      }
    },
  },
});
