/** Charts for the console's pages: uPlot (small, fast, canvas) in a Preact component. uPlot sizes
 * and styles its elements through the CSSOM, which the strict CSP allows; its stylesheet is in
 * console.css. Import this module only from pages that draw: esbuild leaves uPlot out otherwise. */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export type ChartOptions = Omit<uPlot.Options, "width" | "height"> & { height?: number };

/** A uPlot chart as wide as its container; `data` is uPlot's columns (x values first). `label`
 * names the chart for assistive technology (a canvas has no text of its own). */
export function Chart(props: { options: ChartOptions; data: uPlot.AlignedData; label: string; hook?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = box.current;
    if (!element) return undefined;
    const { height = 240, ...options } = props.options;
    plot.current = new uPlot({ ...options, width: Math.max(element.clientWidth, 200), height }, props.data, element);
    const resized = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(element.clientWidth, 200), height }));
    resized.observe(element);
    return () => {
      resized.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [props.options]);

  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.data]);

  return <div class="chart" ref={box} role="img" aria-label={props.label} data-kr={props.hook} />;
}

export type { uPlot };
