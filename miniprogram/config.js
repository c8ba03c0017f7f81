// Where this build talks to: the city's server (an HTTPS address listed among the mini-program's legal request and
// upload domains in the WeChat console). A city edits this one line before publishing; see README.md.
module.exports = {
  server: "https://xinyi.example.gov.cn",
  // Hours of offline codes kept on the phone (GET /api/v1/me/codes?hours=, at most 24).
  offlineHours: 12,
};
