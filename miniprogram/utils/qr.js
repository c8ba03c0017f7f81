// The identity code drawn on a 2d canvas from its token, with Kazuhiko Arase's encoder (vendor/): error correction
// M, the token as one alphanumeric segment (it is XY1: and base45, all in the QR alphanumeric set), a 4-module
// quiet zone, black on white, modules on whole device pixels so a counter's scanner reads sharp edges.
const qrcode = require("../vendor/qrcode-generator/qrcode.js");

const QUIET = 4;
const ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

function matrix(token) {
  const qr = qrcode(0, "M");
  qr.addData(token, ALPHANUMERIC.test(token) ? "Alphanumeric" : "Byte");
  qr.make();
  const count = qr.getModuleCount();
  const rows = [];
  for (let r = 0; r < count; r += 1) {
    const row = [];
    for (let c = 0; c < count; c += 1) row.push(qr.isDark(r, c));
    rows.push(row);
  }
  return rows;
}

// Draw on `canvas` (a canvas node of type 2d) `size` CSS pixels wide at `ratio` device pixels each.
function draw(canvas, token, size, ratio) {
  const rows = matrix(token);
  const modules = rows.length + 2 * QUIET;
  const cell = Math.max(1, Math.floor((size * ratio) / modules));
  const side = cell * modules;
  canvas.width = side;
  canvas.height = side;
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, side, side);
  context.fillStyle = "#000000";
  rows.forEach((row, r) => row.forEach((dark, c) => {
    if (dark) context.fillRect((c + QUIET) * cell, (r + QUIET) * cell, cell, cell);
  }));
  return { modules: rows.length, cell };
}

module.exports = { matrix, draw, QUIET };
