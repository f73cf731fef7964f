"""What the page needs from the browser itself: the space bar, the screen width, the address.

``PageHooks`` is an invisible Vue widget. It counts presses of the space bar
outside text fields (presenter remotes send a space to play and pause), reports
the window's width (the drawer starts closed on a phone), and writes the
session's recipe into the address bar with ``history.replaceState`` (no page
load, no new history entry), so a reload restores the session. It also makes
each chart fit its container once it appears (Plotly sizes a chart drawn before
its container was laid out at its default width).
"""

from __future__ import annotations

import ipyvue
import traitlets

TEMPLATE = """
<template><span style="display: none"></span></template>
<script>
module.exports = {
  mounted() {
    const typing = (t) => {
      const tag = ((t && t.tagName) || "").toLowerCase();
      return ["input", "textarea", "select"].includes(tag) || (t && t.isContentEditable);
    };
    this._key = (e) => {
      if (e.key !== " " || typing(e.target) || e.repeat) return;
      e.preventDefault();
      if (e.type === "keydown") this.space_presses = this.space_presses + 1;
    };
    this._resize = () => { this.width = window.innerWidth; };
    window.addEventListener("keydown", this._key, true);
    window.addEventListener("keyup", this._key, true);
    window.addEventListener("resize", this._resize);
    this._resize();
    // A chart drawn while its container was hidden or not yet laid out takes Plotly's default
    // width; a resize event makes every chart fit its container again.
    this._fit = () => {
      clearTimeout(this._fitTimer);
      this._fitTimer = setTimeout(() => window.dispatchEvent(new Event("resize")), 200);
    };
    const isPlot = (n) => n.nodeType === 1 && (n.classList.contains("js-plotly-plot") || n.querySelector(".js-plotly-plot"));
    this._observer = new MutationObserver((records) => {
      if (records.some((r) => [...r.addedNodes].some(isPlot))) this._fit();
    });
    this._observer.observe(document.body, { childList: true, subtree: true });
    this.write(this.address);
  },
  destroyed() {
    window.removeEventListener("keydown", this._key, true);
    window.removeEventListener("keyup", this._key, true);
    window.removeEventListener("resize", this._resize);
    this._observer.disconnect();
  },
  methods: {
    write(address) {
      if (address && window.location.search !== address) {
        window.history.replaceState(window.history.state, "", window.location.pathname + address);
      }
    },
  },
  watch: { address(value) { this.write(value); } },
};
</script>
"""


class PageHooks(ipyvue.VueTemplate):
    """Space-bar presses, window width and the address's query string, synced with the page."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    space_presses = traitlets.Int(0).tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    address = traitlets.Unicode("").tag(sync=True)
