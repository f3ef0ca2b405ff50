#!/usr/bin/env node
// Draws the charts of docs/benchmarks.md from the benchmarks' own output:
// bench/NAME_results.json (written by bench/_results.ts at the end of each
// run, one entry per runtime) becomes bench/NAME.svg. No figure is typed in
// here: what a chart shows is what the last run on each runtime measured,
// and its caption says under which conditions. (bench/executor.ts draws
// bench/executor.svg itself, from bench/executor_results.json.)
// Usage: node scripts/bench_charts.mjs
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./_runner.mjs";

const runtimes = ["deno", "bun", "node"];
const colors = ["#2f6fdd", "#e07b39", "#8a8a8a", "#4aa564"];

/** What each chart shows: bars per runtime, from the figures' names. */
const charts = {
  thread_start: {
    title: "Start + join of a trivial target, ms (lower is better)",
    bars: [
      ["Thread", "threadStartMs"],
      ["raw worker", "rawStartMs"],
    ],
    format: (v) => `${v.toFixed(1)} ms`,
  },
  locks: {
    title: "Uncontended acquireSync + release, ns (lower is better)",
    bars: [
      ["Lock", "lockNs"],
      ["RLock", "rlockNs"],
      ["futex floor", "floorNs"],
    ],
    format: (v) => `${v.toFixed(1)} ns`,
  },
  queues: {
    title: "Small objects, 1 producer → 1 consumer, items/s (higher is better)",
    bars: [
      ["Queue getSync", "small object 1→1 getSync"],
      ["Queue await get", "small object 1→1 await get"],
      ["postMessage", "small object 1→1 postMessage"],
    ],
    format: (v) =>
      v >= 1e6 ? `${(v / 1e6).toFixed(2)} M/s` : `${(v / 1e3).toFixed(0)} k/s`,
  },
};

const escape = (text) =>
  String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;");

function draw(chart, results) {
  const present = runtimes.filter((r) => results[r] !== undefined);
  let max = 0;
  for (const r of present) {
    for (const [, key] of chart.bars) {
      max = Math.max(max, results[r].figures[key] ?? 0);
    }
  }
  const barH = 16;
  const groupH = chart.bars.length * barH + 30;
  const left = 150;
  const width = 720;
  const plotW = width - left - 100;
  const captionTop = 40 + present.length * groupH + 10;
  const height = captionTop + present.length * 16 + 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${
      escape(chart.title)
    }</text>`,
  ];
  present.forEach((r, g) => {
    const top = 40 + g * groupH;
    parts.push(`<text x="10" y="${top + 14}" font-weight="bold">${r}</text>`);
    chart.bars.forEach(([label, key], i) => {
      const y = top + 20 + i * barH;
      const value = results[r].figures[key];
      parts.push(
        `<text x="${left - 6}" y="${y + 12}" text-anchor="end">${
          escape(label)
        }</text>`,
      );
      if (typeof value !== "number") {
        parts.push(
          `<text x="${left + 4}" y="${y + 12}" fill="#b00">not measured</text>`,
        );
        return;
      }
      const w = Math.max(1, (value / (max || 1)) * plotW);
      parts.push(
        `<rect x="${left}" y="${y + 2}" width="${w.toFixed(1)}" height="${
          barH - 4
        }" fill="${colors[i % colors.length]}"/>`,
        `<text x="${left + w + 4}" y="${y + 12}">${
          escape(chart.format(value))
        }</text>`,
      );
    });
  });
  present.forEach((r, i) => {
    const { version, date, load, cores, settings } = results[r];
    const how = Object.entries(settings).filter(([, v]) => v !== "")
      .map(([k, v]) => `${k} ${v}`).join(", ");
    parts.push(
      `<text x="10" y="${
        captionTop + i * 16 + 12
      }" fill="#555" font-size="11">${
        escape(
          `${r} ${version}: ${
            date.slice(0, 10)
          }, load average ${load} on ${cores} cores${how ? `, ${how}` : ""}`,
        )
      }</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

let drawn = 0;
for (const [name, chart] of Object.entries(charts)) {
  const file = join(root, "bench", `${name}_results.json`);
  if (!existsSync(file)) {
    console.log(`bench/${name}_results.json: none yet (run bench/${name}.ts)`);
    continue;
  }
  const results = JSON.parse(readFileSync(file, "utf8"));
  writeFileSync(join(root, "bench", `${name}.svg`), draw(chart, results));
  console.log(`wrote bench/${name}.svg from bench/${name}_results.json`);
  drawn += 1;
}
console.log(`${drawn} charts drawn`);
