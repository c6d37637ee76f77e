import { readFileSync, writeFileSync } from 'node:fs';
import { renderScalingSvg } from './svg.js';

// Redraws the scaling plot from a bench report: tsx load/bench/render-svg.ts <bench.json> <out.svg>
const [input, output] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: render-svg.ts <bench.json> <out.svg>');
const report = JSON.parse(readFileSync(input, 'utf8'));
const steps = report.results['waiting-room'].figures.steps;
writeFileSync(
  output,
  renderScalingSvg(steps, {
    instances: report.instances,
    size: report.size,
    machine: report.machine,
  }),
);
console.log(`wrote ${output}`);
