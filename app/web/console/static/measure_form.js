// The benefit editor: add rows without a page load, and show what each grade will read as the clerk types.
const form = document.getElementById("measure-form");
const preview = document.getElementById("benefit-preview");

for (const button of form.querySelectorAll("[data-add-row]")) {
  button.hidden = false;
  button.addEventListener("click", () => {
    const body = document.getElementById(button.dataset.addRow).tBodies[0];
    const row = body.rows[body.rows.length - 1].cloneNode(true);
    for (const field of row.querySelectorAll("input, select")) {
      field.value = "";
      field.setAttribute("aria-label", field.getAttribute("aria-label").replace(/\d+/, body.rows.length + 1));
    }
    body.appendChild(row);
    row.querySelector("select").focus();
  });
}

function placeholders() {
  for (const select of form.querySelectorAll('select[name="benefit_type"]')) {
    const option = select.selectedOptions[0];
    const input = select.closest("tr").querySelector('input[name="benefit_value"]');
    const kind = option ? option.dataset.form : "";
    input.readOnly = kind === "flag";
    input.placeholder = kind === "flag" ? "（无需填写）" : kind === "text" ? "写给市民看的一句话" : option && option.dataset.unit ? `单位：${option.dataset.unit}` : "";
  }
}

function show(answer) {
  const list = document.createElement(answer.error ? "p" : "ul");
  if (answer.error) {
    list.className = "bad";
    list.textContent = answer.error + Object.entries(answer.fields || {}).map(([where, problem]) => `（${where}：${problem}）`).join("");
  } else {
    for (const [who, text] of answer.sentences) {
      const item = document.createElement("li");
      const strong = document.createElement("strong");
      strong.textContent = who;
      item.append(strong, `：${text}`);
      list.appendChild(item);
    }
  }
  preview.replaceChildren(preview.querySelector("h4"), list);
}

let pending;
async function refresh() {
  placeholders();
  const sent = (pending = new FormData(form));
  try {
    const response = await fetch(form.dataset.preview, { method: "POST", body: sent, credentials: "same-origin" });
    if (sent === pending && response.ok) show(await response.json());
  } catch {
    // Offline or signed out: the 预览 button still works with the page's own round trip.
  }
}

form.addEventListener("input", refresh);
form.addEventListener("change", refresh);
refresh();
