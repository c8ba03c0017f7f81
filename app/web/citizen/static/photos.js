// Photos for an objection or complaint are made smaller on the phone before they are sent: a camera's 4,000-pixel
// photo becomes a JPEG of at most 1,600 pixels, well under the 5 MB a file may be, and quick to upload.
const MAX_SIDE = 1600;
const QUALITY = 0.85;
const MAX_FILES = 5;

async function smaller(file) {
  if (!file.type.startsWith("image/") || typeof createImageBitmap !== "function") return file;
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  if (scale === 1 && file.size < 1024 * 1024) return file;
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
  if (!blob) return file;
  return new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" });
}

function megabytes(files) {
  return (files.reduce((total, file) => total + file.size, 0) / 1024 / 1024).toFixed(1);
}

for (const form of document.querySelectorAll("form[data-photos]")) {
  const input = form.querySelector("input[type=file]");
  const note = form.querySelector("[data-photo-note]");
  const submit = form.querySelector("button[type=submit]");
  input.addEventListener("change", async () => {
    const chosen = Array.from(input.files);
    note.hidden = false;
    if (chosen.length > MAX_FILES) {
      note.textContent = `最多上传 ${MAX_FILES} 个文件，您选了 ${chosen.length} 个，请重新选择。`;
      return;
    }
    if (typeof DataTransfer !== "function") return; // the files go as they are
    submit.disabled = true;
    note.textContent = "正在压缩照片…";
    try {
      const files = await Promise.all(chosen.map(smaller));
      const transfer = new DataTransfer();
      files.forEach((file) => transfer.items.add(file));
      input.files = transfer.files;
      note.textContent = `已选 ${files.length} 个文件，共 ${megabytes(files)} MB。`;
    } catch (error) {
      note.textContent = `已选 ${chosen.length} 个文件。`;
    } finally {
      submit.disabled = false;
    }
  });
}
