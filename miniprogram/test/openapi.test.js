// The integration test's OpenAPI check itself: it must see an undocumented field, a wrong type and an unknown path.
const { checkExchange } = require("./helpers/openapi.js");

const spec = {
  paths: { "/api/v1/things/{thing_id}": { get: { responses: { 200: { content: { "application/json": {
    schema: { $ref: "#/components/schemas/Thing" } } } } } } } },
  components: { schemas: {
    Thing: { type: "object", additionalProperties: false, properties: { id: { type: "integer" },
      note: { type: "string", nullable: true }, benefit: { type: "object", additionalProperties: {} } } },
  } },
};
const get = (responseJson, path = "/api/v1/things/4") => checkExchange(spec, { method: "GET", path, status: 200, responseJson });

test("a documented answer passes, free-form objects included", () => {
  expect(get({ id: 4, note: null, benefit: { anything: 1 } })).toEqual([]);
});

test("an undocumented field, a wrong type, an unknown path and an undocumented status are each reported", () => {
  expect(get({ id: 4, secret: "x" })).toEqual(["GET /api/v1/things/4 200.secret: not in the description"]);
  expect(get({ id: "4" })).toEqual(["GET /api/v1/things/4 200.id: not an integer"]);
  expect(get({ id: 4 }, "/api/v1/other")).toEqual(["GET /api/v1/other: not in the description"]);
  expect(checkExchange(spec, { method: "GET", path: "/api/v1/things/4", status: 418 })).toHaveLength(1);
});
