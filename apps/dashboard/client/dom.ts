/** The page's DOM helpers and script loading (file:// pages may load scripts but not fetch files). */
import type { EChartsModule } from "./globals.js";

export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === "class") el.className = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === "number" ? String(c) : c);
  return el;
}

const scriptLoads = new Map<string, Promise<void>>();

/** Loads a script once; data and echarts come in this way because file:// pages may not fetch(). */
export function loadScript(src: string): Promise<void> {
  let p = scriptLoads.get(src);
  if (!p) {
    p = new Promise<void>((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = () => resolve();
      s.onerror = () => {
        scriptLoads.delete(src);
        reject(new Error(`could not load ${src}`));
      };
      document.head.append(s);
    });
    scriptLoads.set(src, p);
  }
  return p;
}

export async function echartsLib(): Promise<EChartsModule> {
  if (!window.echarts) await loadScript("vendor/echarts.min.js");
  return window.echarts!;
}
