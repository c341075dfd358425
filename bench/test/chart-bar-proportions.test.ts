import { describe, expect, it } from 'vitest';
import { renderChart } from '../whole/chart.js';

/** Widths of the bars, in document order. */
function widths(svg: string): number[] {
  return [...svg.matchAll(/<rect x="\d+" y="\d+" width="(\d+)" height="18"/g)].map((m) => Number(m[1]));
}

describe('the benchmark chart', () => {
  it('draws bars in proportion to their figures, each workload scaled to its own largest', () => {
    // Prepare
    const svg = renderChart(
      [
        { title: 'throughput', unit: 'msg/s', lowerIsBetter: false, bars: [{ label: 'ours (CLI)', value: 250 }, { label: 'mpop', value: 1000 }, { label: 'raw reader', value: 500 }] },
        { title: 'idle', unit: 's', lowerIsBetter: true, bars: [{ label: 'ours (CLI)', value: 0.4 }, { label: 'mpop', value: 0.1 }] },
      ],
      'caption',
    );

    // Act
    const [ours, mpop, raw, idleOurs, idleMpop] = widths(svg) as [number, number, number, number, number];

    // Assess
    expect(mpop).toBe(idleOurs); // both the largest of their group: full length
    expect(ours / mpop).toBeCloseTo(0.25, 2);
    expect(raw / mpop).toBeCloseTo(0.5, 2);
    expect(idleMpop / idleOurs).toBeCloseTo(0.25, 2);
    expect(svg).toContain('higher is better');
    expect(svg).toContain('lower is better');
  });

  it('escapes text, so a label or caption cannot break the SVG', () => {
    const svg = renderChart([{ title: 'a <b> & "c"', unit: 's', lowerIsBetter: true, bars: [{ label: 'ours <x>', value: 1 }] }], 'git <dirty> & co');

    expect(svg).not.toContain('<b>');
    expect(svg).not.toContain('<x>');
    expect(svg).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(svg).toContain('git &lt;dirty&gt; &amp; co');
  });
});
