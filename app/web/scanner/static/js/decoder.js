// QR codes from camera frames: the browser's BarcodeDetector where it has one, otherwise zxing-cpp compiled to
// WebAssembly (vendored, served by this app). QR only; frames are scaled down so a phone decodes several a second.
// Each frame gives the texts read and whether a code was seen but not read (for the glare hint): zxing tells it
// (`returnErrors`: finder patterns found, no decode); BarcodeDetector cannot, so zxing looks now and then instead.
const MAX_SIDE = 960;
const PROBE_EVERY_MS = 500;

async function zxingReader(app) {
  const zxing = await import(app.dataset.zxing);
  zxing.prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? app.dataset.wasm : prefix + path) },
    fireImmediately: true,
  });
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const options = { formats: ["QRCode"], tryHarder: true, tryInvert: true, maxNumberOfSymbols: 1, returnErrors: true };
  return async (video) => {
    const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const results = await zxing.readBarcodes(context.getImageData(0, 0, canvas.width, canvas.height), options);
    const texts = results.filter((result) => result.isValid).map((result) => result.text);
    return { texts, glimpsed: results.length > texts.length };
  };
}

async function detector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch (error) {
    return null; // the WebAssembly reader instead
  }
}

export async function makeDecoder(app) {
  const native = await detector();
  if (!native) return { name: "zxing-wasm", decode: await zxingReader(app) };
  let probe = null;
  let probed = 0;
  return {
    name: "BarcodeDetector",
    decode: async (video) => {
      const texts = (await native.detect(video)).map((code) => code.rawValue);
      if (texts.length || performance.now() - probed < PROBE_EVERY_MS) return { texts, glimpsed: null };
      probed = performance.now();
      probe = probe || zxingReader(app);
      return { texts, glimpsed: (await (await probe)(video)).glimpsed };
    },
  };
}
