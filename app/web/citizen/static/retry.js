// "需要联网": 重试 asks for the same page again (the service worker shows this page in its place while offline).
document.getElementById("retry").addEventListener("click", () => window.location.reload());
