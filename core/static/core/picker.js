// Searchable pickers (core/pickers.py): a combobox that asks its endpoint for matches as the person
// types, and posts the chosen value from a hidden input. Arrow keys move, Enter chooses, Escape
// closes; a click or a tap chooses too. Several values (data-multiple) show as removable chips.
(function () {
  "use strict";
  const DELAY = 250;

  function setUp(box) {
    if (box.dataset.pickerReady) return;
    box.dataset.pickerReady = "1";
    const input = box.querySelector("[role=combobox]");
    const list = box.querySelector("[role=listbox]");
    const status = box.querySelector("[data-picker-status]");
    const hidden = box.querySelector("[data-picker-value]");
    const chips = box.querySelector(".picker-chips");
    const multiple = box.hasAttribute("data-multiple");
    const source = box.dataset.source;
    let options = [];
    let active = -1;
    let timer = null;
    let controller = null;
    let chosenLabel = input.value;

    function url(params) {
      const joiner = source.includes("?") ? "&" : "?";
      return source + joiner + params.toString();
    }

    function fetchOptions(params) {
      if (controller) controller.abort();
      controller = new AbortController();
      return fetch(url(params), { headers: { Accept: "application/json" }, credentials: "same-origin", signal: controller.signal })
        .then((response) => (response.ok ? response.json() : { results: [] }))
        .then((data) => data.results || []);
    }

    function close() {
      clearTimeout(timer);
      if (controller) controller.abort();
      list.removeAttribute("aria-busy");
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const items = list.querySelectorAll("[role=option]");
      items.forEach((item, i) => {
        const on = i === index;
        item.setAttribute("aria-selected", on ? "true" : "false");
        item.classList.toggle("active", on);
        if (on) {
          input.setAttribute("aria-activedescendant", item.id);
          item.scrollIntoView({ block: "nearest" });
        }
      });
      active = index;
    }

    function render(results) {
      list.removeAttribute("aria-busy");
      options = results;
      list.replaceChildren();
      if (!results.length) {
        const none = document.createElement("li");
        none.className = "list-group-item text-muted small";
        none.textContent = box.dataset.textNone;
        list.appendChild(none);
      }
      results.forEach((option, i) => {
        const item = document.createElement("li");
        item.id = `${list.id}-${i}`;
        item.className = "list-group-item list-group-item-action picker-option";
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        const label = document.createElement("div");
        label.textContent = option.label;
        item.appendChild(label);
        if (option.hint) {
          const hint = document.createElement("div");
          hint.className = "small text-muted";
          hint.textContent = option.hint;
          item.appendChild(hint);
        }
        item.addEventListener("mousedown", (event) => event.preventDefault());
        item.addEventListener("click", () => choose(i));
        list.appendChild(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = `${results.length} ${box.dataset.textFound}`;
      active = -1;
    }

    function search() {
      list.setAttribute("aria-busy", "true");
      const params = new URLSearchParams({ q: input.value.trim() });
      fetchOptions(params).then(render).catch((error) => { if (error.name !== "AbortError") close(); });
    }

    function addChip(value, label) {
      if (chips.querySelector(`[data-value="${CSS.escape(value)}"]`)) return;
      const chip = document.createElement("li");
      chip.className = "badge text-bg-light border picker-chip";
      chip.dataset.value = value;
      const carried = document.createElement("input");
      carried.type = "hidden";
      carried.name = box.dataset.name;
      carried.value = value;
      const text = document.createElement("span");
      text.className = "picker-chip-label";
      text.textContent = label;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn-close btn-close-sm";
      remove.setAttribute("aria-label", `${box.dataset.textRemove} ${label}`);
      chip.append(carried, text, " ", remove);
      chips.appendChild(chip);
    }

    function choose(index) {
      const option = options[index];
      if (!option) return;
      if (multiple) {
        addChip(option.value, option.label);
        input.value = "";
      } else {
        hidden.value = option.value;
        input.value = option.label;
        input.classList.remove("is-invalid");
        chosenLabel = option.label;
        hidden.dispatchEvent(new Event("change", { bubbles: true }));
      }
      close();
      input.focus();
    }

    input.addEventListener("input", () => {
      if (!multiple && hidden.value && input.value !== chosenLabel) hidden.value = "";
      clearTimeout(timer);
      list.setAttribute("aria-busy", "true");
      timer = setTimeout(search, DELAY);
    });
    input.addEventListener("focus", () => {
      if (multiple || !hidden.value) search();
    });
    input.addEventListener("blur", () => {
      setTimeout(close, 150);
      // A name typed but not chosen from the list is not sent: say so at once.
      if (!multiple) input.classList.toggle("is-invalid", Boolean(input.value.trim()) && !hidden.value);
    });
    input.addEventListener("keydown", (event) => {
      const count = options.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { search(); return; }
        if (count) highlight((active + 1) % count);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (!list.hidden && count) highlight(active <= 0 ? count - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (!list.hidden && (active >= 0 || count === 1)) {
          event.preventDefault();
          choose(active >= 0 ? active : 0);
        } else if (!list.hidden || (!multiple && !hidden.value && input.value.trim())) {
          event.preventDefault();  // a name typed but not chosen is not sent
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        } else if (!multiple && hidden.value) {
          input.value = chosenLabel;
        }
      }
    });
    if (chips) {
      chips.addEventListener("click", (event) => {
        const button = event.target.closest(".btn-close");
        if (!button) return;
        button.closest(".picker-chip").remove();
        input.focus();
      });
    }

    // Values sent back without their names (a form shown again with an error): ask for the names.
    const unnamed = multiple
      ? [...chips.querySelectorAll(".picker-chip")].filter((chip) => chip.querySelector(".picker-chip-label").textContent === chip.dataset.value)
      : (hidden.value && !input.value ? [hidden] : []);
    if (unnamed.length) {
      const params = new URLSearchParams();
      unnamed.forEach((element) => params.append("value", multiple ? element.dataset.value : element.value));
      fetchOptions(params).then((results) => {
        results.forEach((option) => {
          if (multiple) {
            const chip = chips.querySelector(`[data-value="${CSS.escape(option.value)}"]`);
            if (chip) {
              chip.querySelector(".picker-chip-label").textContent = option.label;
              chip.querySelector(".btn-close").setAttribute("aria-label", `${box.dataset.textRemove} ${option.label}`);
            }
          } else if (option.value === hidden.value) {
            input.value = option.label;
            chosenLabel = option.label;
          }
        });
      }).catch(() => {});
    }
  }

  function setUpAll(root) {
    (root || document).querySelectorAll("[data-picker]").forEach(setUp);
  }

  document.addEventListener("DOMContentLoaded", () => setUpAll(document));
  document.addEventListener("htmx:load", (event) => setUpAll(event.target));
})();
