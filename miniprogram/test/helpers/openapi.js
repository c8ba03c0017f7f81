// Checks an exchange against the served OpenAPI description: the operation must be documented, a JSON request body
// and the answer must match their schemas, and no object may carry a field its schema does not name (a schema that
// names no properties but allows any, such as a benefit, is free-form).
function resolver(spec) {
  return (schema) => {
    let current = schema;
    while (current && current.$ref) {
      current = current.$ref.replace(/^#\//, "").split("/").reduce((node, key) => node[key], spec);
    }
    return current || {};
  };
}

function check(spec, schema, value, where, problems) {
  const resolve = resolver(spec);
  const own = resolve(schema);
  if (value === null) {
    const typed = own.type || own.properties || own.allOf || own.oneOf || own.anyOf;
    if (typed && !own.nullable && !(own.allOf || []).some((part) => resolve(part).nullable)) {
      problems.push(`${where}: null where the description does not allow it`);
    }
    return;
  }
  if (own.allOf) {
    const merged = { type: "object", properties: {}, additionalProperties: false };
    for (const part of own.allOf.map(resolve)) {
      if (part.type && part.type !== "object") {
        check(spec, part, value, where, problems);
        return;
      }
      Object.assign(merged.properties, part.properties || {});
      if (part.additionalProperties !== undefined && part.additionalProperties !== false) merged.additionalProperties = part.additionalProperties;
    }
    if (!Object.keys(merged.properties).length && merged.additionalProperties === false) return; // readOnly only
    check(spec, merged, value, where, problems);
    return;
  }
  const alternatives = own.oneOf || own.anyOf;
  if (alternatives) {
    const fits = alternatives.some((option) => {
      const mine = [];
      check(spec, option, value, where, mine);
      return mine.length === 0;
    });
    if (!fits) problems.push(`${where}: matches none of the documented forms`);
    return;
  }
  const type = own.type || (own.properties ? "object" : null);
  if (type === "object") {
    if (typeof value !== "object" || Array.isArray(value)) {
      problems.push(`${where}: not an object`);
      return;
    }
    const properties = own.properties || {};
    for (const name of own.required || []) if (!(name in value)) problems.push(`${where}.${name}: required, missing`);
    const free = own.additionalProperties === true || (typeof own.additionalProperties === "object");
    for (const [name, item] of Object.entries(value)) {
      if (name in properties) check(spec, properties[name], item, `${where}.${name}`, problems);
      else if (!free) problems.push(`${where}.${name}: not in the description`);
    }
  } else if (type === "array") {
    if (!Array.isArray(value)) problems.push(`${where}: not an array`);
    else value.forEach((item, i) => check(spec, own.items || {}, item, `${where}[${i}]`, problems));
  } else if (type === "integer") {
    if (!Number.isInteger(value)) problems.push(`${where}: not an integer`);
  } else if (type === "number") {
    if (typeof value !== "number") problems.push(`${where}: not a number`);
  } else if (type === "string") {
    if (typeof value !== "string") problems.push(`${where}: not a string`);
    else if (own.enum && !own.enum.includes(value)) problems.push(`${where}: ${value} not among the documented values`);
  } else if (type === "boolean") {
    if (typeof value !== "boolean") problems.push(`${where}: not a boolean`);
  }
}

// The documented operation for a concrete method and path (/api/v1/objections/5 → /api/v1/objections/{objection_id}).
function operation(spec, method, path) {
  for (const [template, operations] of Object.entries(spec.paths)) {
    const pattern = new RegExp("^" + template.replace(/[.]/g, "\\.").replace(/\{[^}]+\}/g, "[^/]+") + "$");
    if (pattern.test(path) && operations[method.toLowerCase()]) return operations[method.toLowerCase()];
  }
  return null;
}

function checkExchange(spec, { method, path, requestJson, status, responseJson }) {
  const problems = [];
  const documented = operation(spec, method, path);
  if (!documented) return [`${method} ${path}: not in the description`];
  const name = `${method} ${path}`;
  if (requestJson !== undefined) {
    const body = documented.requestBody && documented.requestBody.content["application/json"];
    if (!body) problems.push(`${name}: a JSON body the description does not take`);
    else check(spec, body.schema, requestJson, `${name} request`, problems);
  }
  const answer = resolver(spec)(documented.responses[String(status)]);
  if (!documented.responses[String(status)]) problems.push(`${name}: status ${status} not documented`);
  else if (responseJson !== undefined) {
    const content = answer.content && answer.content["application/json"];
    if (!content) problems.push(`${name}: a JSON answer where the description documents none for ${status}`);
    else check(spec, content.schema, responseJson, `${name} ${status}`, problems);
  }
  return problems;
}

module.exports = { checkExchange, check, operation };
