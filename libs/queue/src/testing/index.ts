// Test helpers of @ganscope/queue, for other packages' tests: `@ganscope/queue/testing`.
export { REDIS_SERVER, startRedisServer, type RedisServer } from "./redis-server.js";
