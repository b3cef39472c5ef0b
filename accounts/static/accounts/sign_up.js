/* Sign-up: choosing a community among those the search (htmx) lists puts its code in the form. */
(function () {
  "use strict";
  document.addEventListener("click", (event) => {
    const option = event.target.closest("[data-community-code]");
    if (!option) return;
    event.preventDefault();
    document.querySelector("[name='community_code']").value = option.dataset.communityCode;
    document.getElementById("community-search").value = option.dataset.communityName;
    document.getElementById("community-options").innerHTML = "";
    const chosen = document.createElement("div");
    chosen.className = "list-group-item active";
    chosen.textContent = option.textContent;
    document.getElementById("community-options").appendChild(chosen);
  });
})();
