// The Lua scripts that keep a distributed batch's shared state consistent: each runs atomically on
// the Redis server, so any number of workers on any number of machines see one spend counter, one
// outcome per input and one token bucket per provider key.

/**
 * Before a job runs. KEYS: meta, outcomes, inflight. ARGV: index, worker.
 * Returns `recorded` (the input already has an outcome: do nothing), `cap` (the spend cap forbids
 * starting it) or `run` (it is now in flight on this worker). The cap rule is core's: start only
 * while spent + (in flight + 1) × average cost of a finished call ≤ cap, and spent < cap.
 */
export const RESERVE = `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 'recorded' end
local cap = redis.call('HGET', KEYS[1], 'capPico')
if cap then
  cap = tonumber(cap)
  local spent = tonumber(redis.call('HGET', KEYS[1], 'spentPico') or '0')
  local finished = tonumber(redis.call('HGET', KEYS[1], 'finished') or '0')
  local inflight = redis.call('HLEN', KEYS[3])
  if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then inflight = inflight - 1 end
  local average = 0
  if finished > 0 then average = spent / finished end
  if spent >= cap or spent + (inflight + 1) * average > cap then return 'cap' end
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 'run'
`;

/**
 * Record one input's outcome, once. KEYS: meta, outcomes, inflight, results, workers.
 * ARGV: index, outcome JSON, worker, cost (pico-dollars, integer), status (done | failed | skipped),
 * ran (1 when a call was made: it counts toward the average cost), tokens.
 * Returns 1 when recorded, 0 when the input already had an outcome (a retried or duplicate job).
 */
export const RECORD = `
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
local cost = tonumber(ARGV[4])
redis.call('HINCRBY', KEYS[1], ARGV[5], 1)
redis.call('HINCRBY', KEYS[1], 'spentPico', cost)
redis.call('HINCRBY', KEYS[1], 'tokens', tonumber(ARGV[7]))
if ARGV[6] == '1' then redis.call('HINCRBY', KEYS[1], 'finished', 1) end
if cost > 0 or ARGV[6] == '1' then redis.call('HINCRBY', KEYS[5], ARGV[3] .. '|costPico', cost) end
redis.call('HINCRBY', KEYS[5], ARGV[3] .. '|' .. ARGV[5], 1)
redis.call('XADD', KEYS[4], '*', 'outcome', ARGV[2])
return 1
`;

/**
 * Start (or resume) a batch: the outcomes kept so far and the results stream's last id, read
 * together so no outcome recorded meanwhile is missed or read twice. KEYS: outcomes, results.
 * Returns { last stream id, index, outcome, index, outcome, … }.
 */
export const SNAPSHOT = `
local last = '0-0'
local tail = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #tail > 0 then last = tail[1][1] end
local out = { last }
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all do out[#out + 1] = all[i] end
return out
`;

/**
 * Forget an input's outcome so it runs again (a failure on resume). KEYS: meta, outcomes.
 * ARGV: index. Its counters go back; what it spent stays spent.
 */
export const FORGET = `
local stored = redis.call('HGET', KEYS[2], ARGV[1])
if not stored then return 0 end
local status = cjson.decode(stored)['status']
if status then redis.call('HINCRBY', KEYS[1], status, -1) end
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`;

// Token buckets: the same arithmetic as core's LocalProviderBudget, with Redis's clock (one clock
// for every machine). Fields: requests, tokens, refilledAt, pausedUntil, strikes, rateLimited,
// lastRateLimitAt. The limits come with each call (ARGV), so every worker may set them.
const BUCKET_PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rpm = tonumber(ARGV[1])
local tpm = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'requests', 'tokens', 'refilledAt', 'pausedUntil')
local requests = tonumber(state[1])
local tokens = tonumber(state[2])
local refilled = tonumber(state[3]) or now
local paused = tonumber(state[4]) or 0
local elapsed = math.max(0, now - refilled)
if rpm then requests = math.min(rpm, (requests or rpm) + elapsed * rpm / 60000) end
if tpm then tokens = math.min(tpm, (tokens or tpm) + elapsed * tpm / 60000) end
local function save()
  local fields = { 'refilledAt', now, 'pausedUntil', paused }
  if requests then fields[#fields + 1] = 'requests'; fields[#fields + 1] = requests end
  if tokens then fields[#fields + 1] = 'tokens'; fields[#fields + 1] = tokens end
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('PEXPIRE', KEYS[1], 3600000)
end
`;

/**
 * Take one request of about ARGV[3] tokens from a bucket. KEYS: bucket. ARGV: rpm, tpm ('' = no
 * limit), estimated tokens. Returns 0 when taken, else the ms to wait before trying again.
 */
export const BUCKET_TAKE = `${BUCKET_PRELUDE}
if paused > now then save(); return paused - now end
if rpm and requests < 1 then save(); return math.max(1, math.ceil((1 - requests) * 60000 / rpm)) end
local need = 0
if tpm then need = math.min(tonumber(ARGV[3]), tpm) end
if tpm and tokens < need then save(); return math.max(1, math.ceil((need - tokens) * 60000 / tpm)) end
if rpm then requests = requests - 1 end
if tpm then tokens = tokens - need end
save()
return 0
`;

/** Give back (or take more of) the token budget once the real usage is known. ARGV: rpm, tpm, estimated − actual. */
export const BUCKET_SETTLE = `${BUCKET_PRELUDE}
if tpm then tokens = math.min(tpm, tokens + tonumber(ARGV[3])) end
redis.call('HSET', KEYS[1], 'strikes', 0)
save()
return 0
`;

/**
 * A 429: pause every caller of the key. ARGV: rpm, tpm, retry-after ms ('' = back off 1 s × 2^strikes,
 * at most 60 s). The same 429 reported twice at once (by the fetch and by the invoker) counts once.
 */
export const BUCKET_RATE_LIMITED = `${BUCKET_PRELUDE}
local strikes = tonumber(redis.call('HGET', KEYS[1], 'strikes') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 'lastRateLimitAt') or '-1e15')
local pause = tonumber(ARGV[3]) or math.min(60000, 1000 * 2 ^ strikes)
redis.call('HSET', KEYS[1], 'lastRateLimitAt', now)
if now - last < 50 and math.abs(now + pause - paused) < 100 then save(); return 0 end
redis.call('HINCRBY', KEYS[1], 'rateLimited', 1)
redis.call('HSET', KEYS[1], 'strikes', strikes + 1)
paused = math.max(paused, now + pause)
if requests then requests = math.min(requests, 0) end
save()
return 1
`;

/**
 * What a provider's rate-limit headers said. ARGV: rpm, tpm, remaining requests, remaining tokens,
 * pause ms when one of them is exhausted ('' = none).
 */
export const BUCKET_OBSERVE = `${BUCKET_PRELUDE}
local remainingRequests = tonumber(ARGV[3])
local remainingTokens = tonumber(ARGV[4])
local pause = tonumber(ARGV[5])
if remainingRequests and requests then requests = math.min(requests, remainingRequests) end
if remainingTokens and tokens then tokens = math.min(tokens, remainingTokens) end
if pause then paused = math.max(paused, now + pause) end
save()
return 0
`;

/** The state of a bucket for a snapshot: requests, tokens, pausedUntil, rateLimited. */
export const BUCKET_READ = `${BUCKET_PRELUDE}
save()
return { tostring(requests or -1), tostring(tokens or -1), tostring(paused), tostring(redis.call('HGET', KEYS[1], 'rateLimited') or '0') }
`;

/**
 * Put back an outcome kept elsewhere (the log) that Redis no longer has (it restarted without
 * persistence, or the batch was removed). KEYS: meta, outcomes. ARGV: index, outcome JSON, cost
 * (pico-dollars), status, ran (1 when a call was made). Returns 1 when restored, 0 when Redis had one.
 */
export const RESTORE = `
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[4], 1)
redis.call('HINCRBY', KEYS[1], 'spentPico', tonumber(ARGV[3]))
if ARGV[5] == '1' then redis.call('HINCRBY', KEYS[1], 'finished', 1) end
return 1
`;
