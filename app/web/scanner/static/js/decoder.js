// QR codes from camera frames: the browser's BarcodeDetector where it has one, otherwise zxing-cpp compiled to
// WebAssembly (vendored, served by this app). QR only; frames are scaled down so a phone decodes several a second.
const MAX_SIDE = 960;

export async function makeDecoder(app) {
  if ("BarcodeDetector" in window) {
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes("qr_code")) {
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return { name: "BarcodeDetector", decode: async (source) => (await detector.detect(source)).map((code) => code.rawValue) };
      }
    } catch (error) {
      // fall through to the WebAssembly reader
    }
  }
  const zxing = await import(app.dataset.zxing);
  zxing.prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? app.dataset.wasm : prefix + path) },
    fireImmediately: true,
  });
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const options = { formats: ["QRCode"], tryHarder: true, tryInvert: true, maxNumberOfSymbols: 1 };
  return {
    name: "zxing-wasm",
    decode: async (video) => {
      const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const results = await zxing.readBarcodes(context.getImageData(0, 0, canvas.width, canvas.height), options);
      return results.filter((result) => result.isValid).map((result) => result.text);
    },
  };
}
