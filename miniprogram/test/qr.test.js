// The vendored encoder as the 亮码 page uses it.
const qr = require("../utils/qr.js");

test("a typical 160-character code is one alphanumeric segment: QR version 7 at level M (45 modules)", () => {
  const token = "XY1:" + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".repeat(4).slice(0, 156);
  expect(qr.matrix(token)).toHaveLength(45);
});

test("the largest code (193 characters) still fits version 8-M", () => {
  expect(qr.matrix("XY1:" + "Z".repeat(189))).toHaveLength(49);
});

test("modules land on whole device pixels inside a 4-module quiet zone", () => {
  const rects = [];
  const canvas = { getContext: () => ({ fillRect: (...args) => rects.push(args), set fillStyle(v) {} }) };
  const drawn = qr.draw(canvas, "XY1:" + "A".repeat(156), 280, 3);
  expect(drawn.cell).toBe(Math.floor((280 * 3) / (45 + 8)));
  expect(canvas.width).toBe(drawn.cell * 53);
  const modules = rects.slice(1);
  expect(Math.min(...modules.map((r) => r[0]))).toBe(4 * drawn.cell);
  expect(modules.every((r) => r.every(Number.isInteger))).toBe(true);
});
