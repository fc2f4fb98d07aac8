/* Mark display equations and code listings that are wider than their box.
 *
 * Each such box (MathJax's mjx-container in div.math, and div.highlight > pre) scrolls sideways
 * (bptt-book.css). This script gives it the class scroll-cue-right while content is hidden past
 * its right edge and scroll-cue-left while content is hidden past its left edge; the CSS draws a
 * shadow there. A box is marked when it appears (MathJax puts the typeset equation into div.math
 * after the page has loaded), whenever it is scrolled and whenever it changes size (the window
 * is resized, or a folded solution is opened).
 */
(function () {
  "use strict";
  var BOXES = "div.math > mjx-container, div.highlight > pre";
  var WATCHED = "div.math, div.highlight";

  function mark(box) {
    var hidden = box.scrollWidth - box.clientWidth;
    var left = box.scrollLeft;
    box.classList.toggle("scroll-cue-left", hidden > 1 && left > 1);
    box.classList.toggle("scroll-cue-right", hidden > 1 && left < hidden - 1);
  }

  var resized = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { mark(entry.target); });
  });

  function attach(box) {
    if (box.dataset.scrollCue) {
      mark(box);
      return;
    }
    box.dataset.scrollCue = "1";
    box.addEventListener("scroll", function () { mark(box); }, { passive: true });
    resized.observe(box);
    mark(box);
  }

  function attachAll(root) {
    root.querySelectorAll(BOXES).forEach(attach);
  }

  function start() {
    var added = new MutationObserver(function (records) {
      records.forEach(function (record) { attachAll(record.target); });
    });
    document.querySelectorAll(WATCHED).forEach(function (parent) {
      added.observe(parent, { childList: true });
    });
    attachAll(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
