/**
 * A small SVG line chart of a group's total lag over time, drawn from numbers only (element
 * attributes, no markup strings). Samples are kept by the caller in a bounded ring.
 */
const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 600;
const HEIGHT = 120;
const PAD = 4;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** The x axis spans this many samples at least, so a fresh chart does not jump about. */
const SPAN_MIN = 30;

/**
 * Points of the polyline for `values` in a WIDTH × HEIGHT box: the newest sample at the right once
 * the axis is full, the highest value at the top (exported for a unit test).
 */
export function linePoints(values: readonly number[], capacity: number): string {
  const top = Math.max(1, ...values);
  const span = Math.min(capacity, Math.max(values.length, SPAN_MIN));
  const step = (WIDTH - 2 * PAD) / Math.max(1, span - 1);
  return values
    .map((v, i) => {
      const x = PAD + i * step;
      const y = HEIGHT - PAD - (v / top) * (HEIGHT - 2 * PAD);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(" ");
}

export function lagChart(values: readonly number[], capacity: number): SVGSVGElement {
  const now = values.at(-1) ?? 0;
  const top = Math.max(0, ...values);
  const chart = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: "chart",
    role: "img",
    "aria-label": `total lag over the last ${values.length} samples: now ${now}, peak ${top}`,
    preserveAspectRatio: "none",
  });
  chart.appendChild(svg("rect", { x: 0, y: 0, width: WIDTH, height: HEIGHT, class: "chart-bg" }));
  chart.appendChild(
    svg("line", { x1: PAD, y1: HEIGHT - PAD, x2: WIDTH - PAD, y2: HEIGHT - PAD, class: "chart-axis" }),
  );
  const peak = svg("text", { x: WIDTH - PAD, y: 14, "text-anchor": "end", class: "chart-label" });
  peak.textContent = `peak ${top}`;
  chart.appendChild(peak);
  if (values.length > 0)
    chart.appendChild(
      svg("polyline", { points: linePoints(values, capacity), class: "chart-line", fill: "none" }),
    );
  return chart;
}
