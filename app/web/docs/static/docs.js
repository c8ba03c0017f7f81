// Swagger UI over this app's own OpenAPI description; no request leaves the app.
const root = document.getElementById("swagger");
window.SwaggerUIBundle({ url: root.dataset.spec, domNode: root, deepLinking: true, docExpansion: "none",
  defaultModelsExpandDepth: 0, validatorUrl: null });
