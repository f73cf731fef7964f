"""Small browser-side pieces of the workshop pages: cookies and the team link's token
(``BrowserHooks``), a countdown that ticks in the browser (``Countdown``), and the join
code as a QR code (``qr_svg``, drawn offline by ``segno``)."""

from __future__ import annotations

import ipyvue
import segno
import traitlets

HOOKS = """
<template><span style="display: none"></span></template>
<script>
module.exports = {
  mounted() {
    const found = this.read_hash && window.location.hash.match(/[#&]t=([A-Za-z0-9_-]{8,200})/);
    if (found) {
      this.hash_token = found[1];
      window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
    }
    this.write(this.cookies);
    if (this.fit_charts) {
      this.timer = setInterval(() => this.fit(), 700);
      this._resize = () => { this.width = window.innerWidth; };
      window.addEventListener("resize", this._resize);
      this._resize();
    }
  },
  destroyed() {
    clearInterval(this.timer);
    if (this._resize) window.removeEventListener("resize", this._resize);
  },
  methods: {
    fit() {
      // Plotly draws a chart 700 px wide when its box has no width yet (a tab, a card just
      // shown) and redraws to its box only on a window resize ("responsive"): give it one.
      const off = [...document.querySelectorAll(".js-plotly-plot")].some((plot) => {
        const svg = plot.querySelector(".main-svg");
        const box = plot.getBoundingClientRect().width;
        return svg && box > 0 && Math.abs(svg.getBoundingClientRect().width - box) > 4;
      });
      if (off) window.dispatchEvent(new Event("resize"));
    },
    write(cookies) {
      for (const [name, pair] of Object.entries(cookies || {})) {
        let text = name + "=" + encodeURIComponent(pair[0]) + "; path=/; SameSite=Strict";
        if (pair[1] !== null && pair[1] !== undefined) text += "; max-age=" + pair[1];
        document.cookie = text;
      }
    },
  },
  watch: { cookies(value) { this.write(value); } },
};
</script>
"""


class BrowserHooks(ipyvue.VueTemplate):
    """Writes ``cookies`` (name -> [value, max age in s or None for the browser session])
    into the browser, and with ``read_hash`` reports a team token given in the address's
    fragment (``#t=TOKEN``: a team link; the fragment never reaches the server's logs),
    then removes it from the address (so only the hook that listens may read it); with
    ``fit_charts``, redraws any Plotly chart drawn at another width than its box and
    reports the window's ``width``."""

    template = traitlets.Unicode(HOOKS).tag(sync=True)
    cookies = traitlets.Dict({}).tag(sync=True)
    read_hash = traitlets.Bool(False).tag(sync=True)
    fit_charts = traitlets.Bool(False).tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    hash_token = traitlets.Unicode("").tag(sync=True)


COUNTDOWN = """
<template>
  <span :class="['countdown', left <= 0 ? 'countdown-over' : (left < 30 ? 'countdown-soon' : '')]">{{ text }}</span>
</template>
<script>
module.exports = {
  data() { return { left: 0, end: 0 }; },
  computed: {
    text() {
      if (this.seconds === null) return "";
      if (this.left <= 0) return "Time is up";
      const s = Math.ceil(this.left);
      return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0") + " left";
    },
  },
  mounted() { this.reset(); this.timer = setInterval(() => this.tick(), 250); },
  destroyed() { clearInterval(this.timer); },
  methods: {
    reset() { this.end = Date.now() + (this.seconds || 0) * 1000; this.tick(); },
    tick() { this.left = Math.max(0, (this.end - Date.now()) / 1000); },
  },
  watch: { seconds() { this.reset(); }, stamp() { this.reset(); } },
};
</script>
"""


class Countdown(ipyvue.VueTemplate):
    """Minutes and seconds left of ``seconds`` (as of when the server sent it; ``stamp``
    restarts it), ticking in the browser: no message per second from the server."""

    template = traitlets.Unicode(COUNTDOWN).tag(sync=True)
    seconds = traitlets.Float(None, allow_none=True).tag(sync=True)
    stamp = traitlets.Int(0).tag(sync=True)


def qr_svg(text: str, scale: int = 6) -> str:
    """``text`` (a join link) as an inline SVG QR code."""
    return segno.make(text, error="m").svg_inline(scale=scale, dark="#111111", light="#ffffff")
