/**
 * `--queue=redis://HOST:PORT` as connection options. Redis URLs as redis-cli
 * and ioredis read them: redis:// or rediss:// (TLS), optional user:password,
 * optional /db.
 */
import type { RedisOptions } from "ioredis";
import { UserError } from "@ganscope/dsl";

export class QueueUrlError extends UserError {
  override readonly name = "QueueUrlError";
}

/** A redis:// URL for messages: without its password. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

/**
 * Options for ioredis (and so BullMQ) from a Redis URL. Commands wait for a
 * reconnect instead of failing (maxRetriesPerRequest null, as BullMQ's
 * workers require), and reconnects back off to one try every 5 s for ever:
 * a Redis that is down is waited for, not a reason to exit.
 */
export function redisOptionsOf(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueUrlError(`--queue must be a Redis URL such as redis://127.0.0.1:6379, got "${url}"`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new QueueUrlError(`--queue must be a redis:// or rediss:// URL, got "${url}" (${u.protocol} is not Redis)`);
  }
  if (!u.hostname) throw new QueueUrlError(`--queue needs a host, as in redis://127.0.0.1:6379, got "${url}"`);
  const port = u.port ? Number(u.port) : 6379;
  const dbPart = u.pathname.replace(/^\//, "");
  const db = dbPart === "" ? 0 : Number(dbPart);
  if (!Number.isSafeInteger(db) || db < 0) throw new QueueUrlError(`--queue: the database after the port must be a number, got "/${dbPart}" in "${url}"`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(250 * times, 5000),
    // One try to connect is 5 s, so an unreachable host is reported promptly.
    connectTimeout: 5000,
  };
}
