/** What the build's scripts put on window, and what the page exposes to tests. */
import type { ExperimentView, SiteIndex, StudyView } from "../src/site-data.js";

export type EChartsModule = typeof import("echarts");
export type ECharts = import("echarts").ECharts;
export type EChartsOption = import("echarts").EChartsOption;

declare global {
  interface Window {
    GANSCOPE_INDEX?: SiteIndex;
    GANSCOPE_EXPERIMENTS?: Record<string, ExperimentView>;
    /** data/study-*.js: one study report each, by study name. */
    GANSCOPE_STUDIES?: Record<string, StudyView>;
    /** data/build.js: the time of the latest build, polled by a served page to reload after a rebuild. */
    GANSCOPE_BUILD?: string;
    echarts?: EChartsModule;
    /** For tests and the curious: the charts on the current view, by name. */
    __ganscope?: { view: string; charts: Record<string, ECharts> };
  }
}
