// Identity codes, format 1 (docs/offline-codes.md), read and decided in the browser from the venue's bundle: base45,
// the Ed25519 signature and the AES-128-CTR seal by WebCrypto (Ed25519 by the vendored noble-ed25519 where it lacks
// it), then the rules of scanner_client/offline.py in its order — malformed, bad signature, expired, (no seal key: no
// decision), used on this device, deny-list, measures.
const PREFIX = "XY1:";
const HEAD = 26; // version, key_id, code_id(8), not_before(4), lifetime(2), batch_tag(8), seal_day, sealed length
const SIGNATURE = 64;
const MIN_SEALED = 6;
const MAX_SEALED = 3 + 2 * 4 + 1 + 24;
const tokenLength = (bytes) => PREFIX.length + Math.floor(bytes / 2) * 3 + (bytes % 2) * 2;
const MIN_LENGTH = tokenLength(HEAD + MIN_SEALED + SIGNATURE);
const MAX_LENGTH = tokenLength(HEAD + MAX_SEALED + SIGNATURE);
const BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
export const GRADES = ["D", "C", "B", "A", "AA", "AAA"];
const KINDS = { 1: "person", 2: "enterprise" };
const NOBLE = new URL("../vendor/noble-ed25519/index.js", import.meta.url).href;

export class Refused extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

export class CannotDecide extends Error {}

const hex = (bytes) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");

export function b45decode(text) {
  if (text.length % 3 === 1) throw new Refused("token_malformed");
  const digits = Array.from(text, (char) => {
    const value = BASE45.indexOf(char);
    if (value < 0) throw new Refused("token_malformed");
    return value;
  });
  const out = [];
  for (let at = 0; at + 3 <= digits.length; at += 3) {
    const value = digits[at] + digits[at + 1] * 45 + digits[at + 2] * 2025;
    if (value > 0xffff) throw new Refused("token_malformed");
    out.push(value >> 8, value & 0xff);
  }
  if (digits.length % 3 === 2) {
    const value = digits[digits.length - 2] + digits[digits.length - 1] * 45;
    if (value > 0xff) throw new Refused("token_malformed");
    out.push(value);
  }
  return Uint8Array.from(out);
}

// The fields of a well-formed token, not yet checked; token_malformed otherwise.
export function parse(token) {
  const text = typeof token === "string" ? token.trim().toUpperCase() : "";
  if (text.length < MIN_LENGTH || text.length > MAX_LENGTH || !text.startsWith(PREFIX)) {
    throw new Refused("token_malformed");
  }
  const data = b45decode(text.slice(PREFIX.length));
  const view = new DataView(data.buffer);
  const length = data[25];
  const end = HEAD + length;
  if (data[0] !== 1 || length < MIN_SEALED || length > MAX_SEALED || data.length !== end + SIGNATURE) {
    throw new Refused("token_malformed");
  }
  const notBefore = view.getUint32(10);
  return {
    keyId: data[1], codeId: data.slice(2, 10), notBefore, expiresAt: notBefore + view.getUint16(14),
    batchTag: hex(data.slice(16, 24)), sealDay: data[24], sealed: data.slice(HEAD, end),
    signed: data.slice(0, end), signature: data.slice(end), tokenKey: hex(data.slice(2, 10)),
  };
}

// The single-use key of a token (its code id's 16 hex digits), or null for what is not a format-1 code.
export function tokenKey(token) {
  try {
    return parse(token).tokenKey;
  } catch (error) {
    return null;
  }
}

function openClear(clear) {
  const [kind, grade, count] = clear;
  const nameAt = 3 + 2 * count;
  if (!KINDS[kind] || grade > GRADES.length || count < 1 || count > 4 || nameAt >= clear.length) {
    throw new Refused("token_malformed");
  }
  const size = clear[nameAt];
  if (size > 24 || nameAt + 1 + size !== clear.length) throw new Refused("token_malformed");
  let name;
  try {
    name = new TextDecoder("utf-8", { fatal: true }).decode(clear.slice(nameAt + 1));
  } catch (error) {
    throw new Refused("token_malformed");
  }
  const categories = [];
  for (let at = 3; at < nameAt; at += 2) categories.push((clear[at] << 8) | clear[at + 1]);
  return { kind: KINDS[kind], grade: grade ? GRADES[grade - 1] : null, categories, name };
}

async function openSealed(parsed, sealKey) {
  const counter = new Uint8Array(16);
  counter.set(parsed.codeId);
  const clear = await crypto.subtle.decrypt({ name: "AES-CTR", counter, length: 64 }, sealKey, parsed.sealed);
  return openClear(new Uint8Array(clear));
}

const bytesOf = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

// A public key's check of a signature: WebCrypto's Ed25519, or where the browser lacks it the vendored noble-ed25519
// (vendor/noble-ed25519/README.md), strict as RFC 8032 like the server's.
async function verifier(raw) {
  try {
    const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    return (signature, data) => crypto.subtle.verify("Ed25519", key, signature, data);
  } catch (error) {
    const noble = await import(NOBLE);
    return (signature, data) => noble.verifyAsync(signature, data, raw, { zip215: false }).catch(() => false);
  }
}

// The bundle's keys made ready: signature checks by key id, WebCrypto seal keys by day number mod 256.
export async function importKeys(bundle) {
  const signing = new Map();
  for (const key of bundle.signing_keys) {
    const raw = bytesOf(key.public_key);
    const id = new Uint8Array(await crypto.subtle.digest("SHA-256", raw))[0];
    signing.set(id, await verifier(raw));
  }
  const seal = new Map();
  for (const key of bundle.seal_keys) {
    const raw = bytesOf(key.key);
    seal.set(key.day % 256, await crypto.subtle.importKey("raw", raw, { name: "AES-CTR" }, false, ["decrypt"]));
  }
  return { signing, seal };
}

const rank = (grade) => GRADES.indexOf(grade);
const reaches = (measure, grade) => !measure.min_grade || (grade !== null && rank(grade) >= rank(measure.min_grade));
const beijingDate = (seconds) => new Date((seconds + 8 * 3600) * 1000).toISOString().slice(0, 10);
const refusal = (reason) => ({ valid: false, reason, subject: null, measures: [], token_key: null });

// Format, signature and window, in the online order; a Refused error names the first that fails.
async function checked(token, bundle, keys, now) {
  const parsed = parse(token);
  const verify = keys.signing.get(parsed.keyId);
  if (!verify || !(await verify(parsed.signature, parsed.signed))) {
    throw new Refused("token_bad_signature");
  }
  if (!(parsed.notBefore - bundle.leeway <= now && now < parsed.expiresAt + bundle.leeway)) {
    throw new Refused("token_expired");
  }
  return parsed;
}

// This venue's measures on the Beijing date of `now` that serve the subject, each with its grade's benefit.
function offers(bundle, sealed, now) {
  const today = beijingDate(now);
  const current = bundle.measures.filter((m) => (!m.valid_from || m.valid_from <= today)
    && (!m.valid_to || today <= m.valid_to));
  const serves = (m) => m.kinds.includes(sealed.kind);
  const found = current
    .filter((m) => serves(m) && reaches(m, sealed.grade)
      && (!m.category_ids.length || m.category_ids.some((id) => sealed.categories.includes(id))))
    .map((m) => ({ id: m.id, code: m.code, title: m.title, benefit: m.benefits[sealed.grade || ""] }));
  if (found.length) return { measures: found, reason: null };
  const short = current.some((m) => serves(m) && !reaches(m, sealed.grade));
  return { measures: [], reason: short ? "grade_too_low" : "no_applicable_measure" };
}

// The online verify's answer ({valid, reason, subject, measures, token_key}) decided from the bundle at `now` (server
// seconds); `used(tokenKey)` says whether this device confirmed the code. Throws CannotDecide without the day's key.
export async function decide(token, bundle, keys, denied, now, used) {
  let parsed;
  let sealed;
  try {
    parsed = await checked(token, bundle, keys, now);
    const sealKey = keys.seal.get(parsed.sealDay);
    if (!sealKey) throw new CannotDecide("no seal key for the code's day");
    sealed = await openSealed(parsed, sealKey);
  } catch (error) {
    if (error instanceof Refused) return refusal(error.code);
    throw error;
  }
  const subject = { kind: sealed.kind, name_masked: sealed.name, grade: sealed.grade };
  const reason = (await used(parsed.tokenKey)) ? "token_used" : denied.get(parsed.batchTag) || null;
  const offered = reason === null ? offers(bundle, sealed, now) : { measures: [], reason };
  return { valid: offered.reason === null, reason: offered.reason, subject, measures: offered.measures,
           token_key: parsed.tokenKey };
}
