// Up to five photos for an objection or complaint: taken or chosen with wx.chooseMedia, made smaller on the phone with
// wx.compressImage (as the web form does before sending), shown as thumbnails that a tap removes. Emits `change`
// with the compressed files' paths.
const MAX_FILES = 5;

function compress(path) {
  return new Promise((resolve) => {
    wx.compressImage({ src: path, quality: 80, compressedWidth: 1600,
      success: (answer) => resolve(answer.tempFilePath), fail: () => resolve(path) });
  });
}

Component({
  properties: { elder: { type: Boolean, value: false } },
  data: { photos: [], busy: false, max: MAX_FILES },
  methods: {
    choose() {
      const room = MAX_FILES - this.data.photos.length;
      if (room <= 0) return;
      wx.chooseMedia({
        count: room, mediaType: ["image"], sourceType: ["album", "camera"], sizeType: ["compressed"],
        success: async (answer) => {
          this.setData({ busy: true });
          const smaller = await Promise.all(answer.tempFiles.map((file) => compress(file.tempFilePath)));
          this.update(this.data.photos.concat(smaller).slice(0, MAX_FILES));
          this.setData({ busy: false });
        },
      });
    },
    remove(event) {
      const photos = this.data.photos.slice();
      photos.splice(event.currentTarget.dataset.index, 1);
      this.update(photos);
    },
    update(photos) {
      this.setData({ photos });
      this.triggerEvent("change", { photos });
    },
  },
});
