// The UI kit's behaviour (see the "UI kit" section of docs/ARCHITECTURE.md): the
// collapsing navigation, confirmations in a <dialog>, drop zones for file inputs and
// chips with typeahead for multi-selects. Each enhances plain HTML that works without
// it; it runs again on content htmx swaps in. No inline script (CSP).
(function () {
  if (window.uiKit) return;
  window.uiKit = true;

  // Navigation: the menu button shows and hides the links on narrow screens.
  function menu(root) {
    root.querySelectorAll(".menu-button:not([data-kit])").forEach(function (button) {
      button.dataset.kit = "1";
      button.addEventListener("click", function () {
        const open = button.getAttribute("aria-expanded") !== "true";
        button.setAttribute("aria-expanded", String(open));
        button.closest(".topbar").classList.toggle("menu-open", open);
      });
    });
  }

  // Confirmations: one <dialog> answers hx-confirm (htmx:confirm), forms with
  // data-confirm, and any form sent by a .danger button that has no confirmation
  // of its own (confirmation pages themselves are marked data-confirmed).
  let dialog;
  function ask(message, then) {
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.className = "confirm-dialog";
      dialog.innerHTML =
        '<form method="dialog"><p class="confirm-message"></p><div class="actions">' +
        '<button value="yes" class="danger" id="confirm-yes">Confirm</button>' +
        '<button value="no" id="confirm-no">Go back</button></div></form>';
      document.body.appendChild(dialog);
    }
    dialog.querySelector(".confirm-message").textContent = message;
    dialog.returnValue = "";
    dialog.addEventListener("close", function done() {
      dialog.removeEventListener("close", done);
      then(dialog.returnValue === "yes");
    });
    dialog.showModal();
    dialog.querySelector("#confirm-no").focus();
  }

  document.addEventListener("htmx:confirm", function (event) {
    const d = event.detail;
    if (!d || !d.ctx || !d.ctx.confirm) return;
    event.preventDefault();
    ask(d.ctx.confirm, function (yes) {
      yes ? d.issueRequest() : d.dropRequest();
    });
  });

  function question(form, submitter) {
    if (form.method === "dialog" || form.closest("[data-confirmed]")) return null;
    if (form.hasAttribute("hx-confirm")) return null;
    if (submitter && submitter.hasAttribute("hx-confirm")) return null;
    if (form.dataset.confirm) return form.dataset.confirm;
    if (submitter && submitter.dataset.confirm) return submitter.dataset.confirm;
    if (submitter && submitter.classList.contains("danger")) {
      return submitter.textContent.trim().replace(/[….]+$/, "") + "? This cannot be undone.";
    }
    return null;
  }

  document.addEventListener(
    "submit",
    function (event) {
      const form = event.target;
      if (form.dataset.kitConfirmed) {
        delete form.dataset.kitConfirmed;
        return;
      }
      const message = question(form, event.submitter);
      if (!message) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      const submitter = event.submitter;
      ask(message, function (yes) {
        if (!yes) return;
        form.dataset.kitConfirmed = "1";
        form.requestSubmit(submitter || undefined);
      });
    },
    true
  );

  // Drop zones: a file input becomes a zone to drop a file on (or click to choose),
  // showing the chosen file's name; the input itself still sends the file.
  function dropzones(root) {
    root.querySelectorAll('input[type="file"]:not([data-kit])').forEach(function (input) {
      input.dataset.kit = "1";
      const zone = document.createElement("div");
      zone.className = "dropzone";
      const text = document.createElement("span");
      text.className = "dropzone-text";
      const idle = "Drop a file here or click to choose one";
      text.textContent = idle;
      input.parentNode.insertBefore(zone, input);
      zone.appendChild(input);
      zone.appendChild(text);
      function show() {
        const file = input.files && input.files[0];
        text.textContent = file ? file.name + " (" + Math.ceil(file.size / 1024) + " KB)" : idle;
        zone.classList.toggle("has-file", !!file);
      }
      input.addEventListener("change", show);
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (event) {
          event.preventDefault();
          zone.classList.add("dragging");
        });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function () {
          zone.classList.remove("dragging");
        });
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        if (!event.dataTransfer.files.length) return;
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
  }

  // Chips: a <select multiple> shows its chosen options as removable chips and a
  // text box that suggests the others as one types (no Ctrl-click). The select stays
  // in the form, hidden, and is what the form sends.
  function chips(root) {
    root.querySelectorAll("select[multiple]:not([data-kit])").forEach(function (select) {
      select.dataset.kit = "1";
      const box = document.createElement("div");
      box.className = "chips";
      const list = document.createElement("span");
      list.className = "chip-list";
      const input = document.createElement("input");
      input.type = "text";
      input.className = "chip-input";
      input.setAttribute("autocomplete", "off");
      input.setAttribute("aria-label", select.getAttribute("aria-label") || "Type to add");
      input.placeholder = "Type to add…";
      const menu = document.createElement("ul");
      menu.className = "chip-menu";
      menu.setAttribute("role", "listbox");
      menu.hidden = true;
      select.parentNode.insertBefore(box, select);
      box.append(list, input, menu, select);
      select.hidden = true;

      function render() {
        list.textContent = "";
        Array.from(select.selectedOptions).forEach(function (option) {
          const chip = document.createElement("button");
          chip.type = "button";
          chip.className = "chip";
          chip.textContent = option.textContent + " ×";
          chip.setAttribute("aria-label", "Remove " + option.textContent);
          chip.addEventListener("click", function () {
            option.selected = false;
            select.dispatchEvent(new Event("change", { bubbles: true }));
            render();
            input.focus();
          });
          list.appendChild(chip);
        });
      }
      function suggest() {
        const typed = input.value.trim().toLowerCase();
        menu.textContent = "";
        function starts(o) {
          return o.textContent.toLowerCase().startsWith(typed) ? 0 : 1;
        }
        Array.from(select.options)
          .filter(function (o) {
            return !o.selected && o.textContent.toLowerCase().includes(typed);
          })
          .sort(function (a, b) {
            return starts(a) - starts(b);
          })
          .slice(0, 8)
          .forEach(function (option, i) {
            const item = document.createElement("li");
            item.textContent = option.textContent;
            item.setAttribute("role", "option");
            if (i === 0) item.className = "active";
            item.addEventListener("mousedown", function (event) {
              event.preventDefault();
              pick(option);
            });
            menu.appendChild(item);
          });
        menu.hidden = !menu.children.length;
      }
      function pick(option) {
        option.selected = true;
        select.dispatchEvent(new Event("change", { bubbles: true }));
        input.value = "";
        render();
        suggest();
      }
      function move(step) {
        const items = Array.from(menu.children);
        let at = items.findIndex(function (li) {
          return li.classList.contains("active");
        });
        if (at >= 0) items[at].classList.remove("active");
        at = Math.min(items.length - 1, Math.max(0, at + step));
        if (items[at]) items[at].classList.add("active");
      }
      input.addEventListener("input", suggest);
      input.addEventListener("focus", suggest);
      input.addEventListener("blur", function () {
        menu.hidden = true;
      });
      input.addEventListener("keydown", function (event) {
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          move(event.key === "ArrowDown" ? 1 : -1);
        } else if (event.key === "Enter" && !menu.hidden) {
          event.preventDefault();
          const active = menu.querySelector(".active");
          const option = active && Array.from(select.options).find(function (o) {
            return !o.selected && o.textContent === active.textContent;
          });
          if (option) pick(option);
        } else if (event.key === "Backspace" && !input.value) {
          const chosen = select.selectedOptions;
          if (chosen.length) {
            chosen[chosen.length - 1].selected = false;
            render();
          }
        } else if (event.key === "Escape") {
          menu.hidden = true;
        }
      });
      render();
    });
  }

  function enhance(root) {
    menu(root);
    dropzones(root);
    chips(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });
  document.addEventListener("htmx:after:settle", function () {
    enhance(document);
  });
  if (document.readyState !== "loading") enhance(document);
})();
