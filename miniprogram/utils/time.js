// Times from the API carry +08:00; they are shown as the Beijing clock reads, whatever the phone's zone.
const BEIJING_MS = 8 * 3600 * 1000;

function pad(n) {
  return String(n).padStart(2, "0");
}

function beijing(iso) {
  const at = new Date(Date.parse(iso) + BEIJING_MS);
  return Number.isNaN(at.getTime()) ? null : at;
}

function date(iso) {
  const at = beijing(iso);
  return at ? `${at.getUTCFullYear()}年${at.getUTCMonth() + 1}月${at.getUTCDate()}日` : "";
}

function moment(iso) {
  const at = beijing(iso);
  return at ? `${date(iso)} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}` : "";
}

module.exports = { date, moment };
