import { createReadStream, promises as fs } from "node:fs";
import http from "node:http";
import path from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".txt": "text/plain; charset=utf-8",
  ".json": "application/json",
};

/**
 * A tiny static file server for the built site: GET/HEAD only, no directory
 * listings, nothing outside `root` (paths are resolved and checked).
 */
export function createStaticServer(root: string): http.Server {
  const base = path.resolve(root);
  return http.createServer((req, res) => {
    void (async () => {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      let rel: string;
      try {
        rel = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      } catch {
        res.writeHead(400).end("bad path");
        return;
      }
      if (rel.endsWith("/")) rel += "index.html";
      const file = path.resolve(base, "." + rel);
      if (file !== base && !file.startsWith(base + path.sep)) {
        res.writeHead(403).end("forbidden");
        return;
      }
      const st = await fs.stat(file).catch(() => undefined);
      if (!st?.isFile()) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      res.writeHead(200, {
        "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
        "content-length": st.size,
        // The site is rebuilt in place; always revalidate.
        "cache-control": "no-cache",
      });
      if (req.method === "HEAD") res.end();
      else createReadStream(file).pipe(res);
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    });
  });
}

/** Starts the server; resolves with the bound port (pass 0 for any free one). */
export function listen(server: http.Server, port: number, host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve(typeof addr === "object" && addr ? addr.port : port);
    });
  });
}
