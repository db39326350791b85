/* osq-interactif.js: the interactive figures of OSQ's notes (maps and evolution charts as inline SVG,
   present/interactif.py). Any [data-osq-info] inside .osq-interactif shows its text in one floating
   infobulle on hover and on keyboard focus; Escape, leaving or blurring hides it. A « Données » link
   opens the <details> table it points to. No dependency, no request: works from file:// too. */
(function () {
  "use strict";
  var bulle = null, actif = null;

  // Quarto's navigation script (quarto-nav.js, on DOMContentLoaded) rewrites `a.href` of every link as a
  // string; an SVG link's `href` is an SVGAnimatedString and the script stops with an error. The map's links
  // hide that property (the attribute, which the browser follows, is untouched). This script runs first:
  // inline at the end of the body (Quarto) or deferred (pandoc), both before DOMContentLoaded.
  document.querySelectorAll(".osq-interactif svg a").forEach(function (a) {
    Object.defineProperty(a, "href", { value: "", configurable: true });
  });

  function infobulle() {
    if (!bulle) {
      bulle = document.createElement("div");
      bulle.className = "osq-infobulle";
      bulle.setAttribute("aria-hidden", "true"); // the element's aria-label already says it
      bulle.hidden = true;
      document.body.appendChild(bulle);
    }
    return bulle;
  }

  function cible(node) {
    var el = node && node.closest ? node.closest("[data-osq-info]") : null;
    return el && el.closest(".osq-interactif") ? el : null;
  }

  // The outline of the hovered or focused area, drawn on top of its neighbours (a copy of its path).
  function surligner(el) {
    var svg = el && el.ownerSVGElement, survol = svg && svg.querySelector(".osq-survol");
    if (!survol) return;
    var path = el.tagName.toLowerCase() === "path" ? el : el.querySelector("path");
    survol.setAttribute("d", path ? path.getAttribute("d") : "");
  }

  function placer(x, y) {
    var b = infobulle(), w = b.offsetWidth, h = b.offsetHeight;
    var vw = document.documentElement.clientWidth;
    var left = Math.min(Math.max(4, x - w / 2), vw - w - 4);
    var top = y - h - 12;
    if (top < 4) top = y + 16;
    b.style.left = (left + window.scrollX) + "px";
    b.style.top = (top + window.scrollY) + "px";
  }

  function montrer(el, x, y) {
    var b = infobulle();
    if (actif !== el) {
      b.textContent = el.getAttribute("data-osq-info");
      surligner(el);
      actif = el;
    }
    b.hidden = false;
    if (x === undefined) {
      var r = el.getBoundingClientRect();
      x = r.left + r.width / 2;
      y = r.top;
    }
    placer(x, y);
  }

  function cacher() {
    if (bulle) bulle.hidden = true;
    if (actif) {
      var svg = actif.ownerSVGElement, survol = svg && svg.querySelector(".osq-survol");
      if (survol) survol.setAttribute("d", "");
    }
    actif = null;
  }

  document.addEventListener("mouseover", function (e) {
    var el = cible(e.target);
    if (el) montrer(el, e.clientX, e.clientY);
  });
  document.addEventListener("mousemove", function (e) {
    var el = cible(e.target);
    if (el) montrer(el, e.clientX, e.clientY);
  });
  document.addEventListener("mouseout", function (e) {
    var el = cible(e.target);
    if (el && !el.contains(e.relatedTarget) && el !== document.activeElement) {
      var focus = cible(document.activeElement);  // the keyboard's area keeps its infobulle
      if (focus) montrer(focus); else cacher();
    }
  });
  document.addEventListener("focusin", function (e) {
    var el = cible(e.target);
    if (el) montrer(el);
  });
  document.addEventListener("focusout", function (e) {
    if (cible(e.target)) cacher();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" || e.key === "Esc") cacher();
  });
  window.addEventListener("scroll", function () {
    if (actif && actif === document.activeElement) montrer(actif);
  }, { passive: true });

  // « Données » links open the table they point to (a closed <details> hides its target).
  document.addEventListener("click", function (e) {
    var lien = e.target.closest ? e.target.closest("a.osq-donnees") : null;
    if (!lien) return;
    var id = decodeURIComponent((lien.getAttribute("href") || "").replace(/^#/, ""));
    var details = id && document.getElementById(id);
    if (details && details.tagName.toLowerCase() === "details") details.open = true;
  });
  function ouvrirAncre() {
    var id = decodeURIComponent(location.hash.replace(/^#/, ""));
    var details = id && document.getElementById(id);
    if (details && details.tagName.toLowerCase() === "details") details.open = true;
  }
  window.addEventListener("hashchange", ouvrirAncre);
  ouvrirAncre();
})();
