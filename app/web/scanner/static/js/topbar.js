// The venue's name keeps to one line in the top bar; a tap shows it whole, another folds it again.
const venue = document.getElementById("venue");
venue.addEventListener("click", () => {
  venue.setAttribute("aria-expanded", String(venue.getAttribute("aria-expanded") !== "true"));
});
