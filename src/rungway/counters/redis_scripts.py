"""The Lua scripts of the Redis counters backend: each runs atomically on the Redis server.

Rate limits use two fixed-window keys per limit (`w:<key>:<window index>`, integer counts) weighted
into a sliding window; budgets use one hash per budget period with the fields `s` (spent) and `r`
(reserved), in integer nano-dollars.
"""

# Scripts are run serially by Redis: each reads with as few commands as it can (one MGET for all
# windows) and sets a TTL only where a key may be new. A window key gets its TTL when an INCRBY
# creates it (the result equals the amount); a budget hash when no hold was on it (it may be new),
# or when its TTL argument is positive, which the client sends about hourly per key so that
# periods longer than the TTL cap live on.

# The admission of a batch of calls: rate-limit windows and budget holds, all or nothing per call.
# KEYS: (current, previous) window key per distinct window, then each distinct budget hash.
# ARGV: W (distinct windows), B (distinct budgets), the time (epoch seconds, to weigh previous
# windows), the seconds of each window, the TTL argument of each budget, the seed of each budget
# (the spend a missing hash starts from: Redis lost it, so the gateway's last known spend is
# written before anything is admitted against it); then per call: its number
# of window uses and of budget uses, (window index, amount, limit) per window use and (budget
# index, amount, limit or -1) per budget use. Returns per call 0 (admitted), {1, k, previous,
# current} (its window use k refused) or {2, k, spent, reserved} (its budget use k refused).
ADMIT_MANY = """
local W, B = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cur, prev, keep, add = {}, {}, {}, {}
if W > 0 then
  local v = redis.call('MGET', unpack(KEYS, 1, 2 * W))
  for i = 1, W do
    local w = tonumber(ARGV[3 + i])
    cur[i] = tonumber(v[2*i-1] or '0')
    prev[i] = tonumber(v[2*i] or '0')
    keep[i] = 1 - (now % w) / w
    add[i] = 0
  end
end
local spent, held, hold = {}, {}, {}
for j = 1, B do
  local v = redis.call('HMGET', KEYS[2*W+j], 's', 'r')
  if v[1] or v[2] then
    spent[j] = tonumber(v[1] or '0')
  else
    spent[j] = tonumber(ARGV[3 + W + B + j])
    if spent[j] > 0 then
      redis.call('HSET', KEYS[2*W+j], 's', ARGV[3 + W + B + j])  -- the string: Lua would print 1e+15
      redis.call('EXPIRE', KEYS[2*W+j], math.abs(tonumber(ARGV[3 + W + j])))
    end
  end
  held[j] = tonumber(v[2] or '0')
  hold[j] = 0
end
local out, n, a, last = {}, 0, 4 + W + 2 * B, #ARGV
while a <= last do
  n = n + 1
  local nw, nb = tonumber(ARGV[a]), tonumber(ARGV[a+1])
  local ws = a + 2
  local bs = ws + 3 * nw
  a = bs + 3 * nb
  local verdict = 0
  for k = 0, nw - 1 do
    local i = tonumber(ARGV[ws + 3*k])
    if prev[i] * keep[i] + cur[i] + tonumber(ARGV[ws + 3*k + 1]) > tonumber(ARGV[ws + 3*k + 2]) then
      verdict = {1, k + 1, prev[i], cur[i]}
      break
    end
  end
  if verdict == 0 then
    for k = 0, nb - 1 do
      local j, limit = tonumber(ARGV[bs + 3*k]), tonumber(ARGV[bs + 3*k + 2])
      if limit >= 0 and spent[j] + held[j] + tonumber(ARGV[bs + 3*k + 1]) > limit then
        verdict = {2, k + 1, spent[j], held[j]}
        break
      end
    end
  end
  if verdict == 0 then
    for k = 0, nw - 1 do
      local i, amount = tonumber(ARGV[ws + 3*k]), tonumber(ARGV[ws + 3*k + 1])
      cur[i] = cur[i] + amount
      add[i] = add[i] + amount
    end
    for k = 0, nb - 1 do
      local j, amount = tonumber(ARGV[bs + 3*k]), tonumber(ARGV[bs + 3*k + 1])
      held[j] = held[j] + amount
      hold[j] = hold[j] + amount
    end
  end
  out[n] = verdict
end
for i = 1, W do
  if add[i] ~= 0 and redis.call('INCRBY', KEYS[2*i-1], add[i]) == add[i] then
    redis.call('EXPIRE', KEYS[2*i-1], 2 * tonumber(ARGV[3 + i]) + 1)
  end
end
for j = 1, B do
  local key, ttl = KEYS[2*W+j], tonumber(ARGV[3 + W + j])
  if (hold[j] ~= 0 and redis.call('HINCRBY', key, 'r', hold[j]) == hold[j]) or ttl > 0 then
    ttl = math.abs(ttl)
    if redis.call('TTL', key) < ttl then
      redis.call('EXPIRE', key, ttl)
    end
  end
end
return out
"""

# Settles and corrections of a batch of calls, summed per counter.
# KEYS: budget hashes, then window keys. ARGV[1]: the number of budget hashes; then per budget:
# minus the reserved amount, actual cost, TTL argument, seed (the spend a missing hash starts from);
# then per window key: amount, window seconds.
# Returns the spend after, per budget. Lua numbers are doubles: integers are exact below 2^53
# nano-dollars (about 9 million USD per period).
FINISH_MANY = """
local nb = tonumber(ARGV[1])
local out = {}
for j = 1, nb do
  local a = 4 * j - 2
  local ttl = tonumber(ARGV[a+2])
  if ARGV[a+3] ~= '0' and redis.call('HSETNX', KEYS[j], 's', ARGV[a+3]) == 1 then
    ttl = math.abs(ttl)
  end
  local r = redis.call('HINCRBY', KEYS[j], 'r', ARGV[a])
  if r < 0 then
    redis.call('HSET', KEYS[j], 'r', 0)
  end
  out[j] = redis.call('HINCRBY', KEYS[j], 's', ARGV[a+1])
  if r <= 0 or ttl > 0 then
    ttl = math.abs(ttl)
    if redis.call('TTL', KEYS[j]) < ttl then
      redis.call('EXPIRE', KEYS[j], ttl)
    end
  end
end
local w0 = 4 * nb
for i = nb + 1, #KEYS do
  local a = w0 + 2 * (i - nb)
  local amount = tonumber(ARGV[a])
  if redis.call('INCRBY', KEYS[i], amount) == amount then
    redis.call('EXPIRE', KEYS[i], 2 * tonumber(ARGV[a+1]) + 1)
  end
end
return out
"""

# KEYS[1]: budget hash. ARGV: spent, ttl.
SEED = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 's', ARGV[1], 'r', 0)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""

# Reconciliation of one budget counter with the request log. KEYS[1]: budget hash. ARGV: the period's
# spend in the log (a lower bound of the real spend: the counter is raised to it, never lowered), minus
# the holds to release (left by settles this replica gave up on), the TTL. Returns {spent, reserved}.
RECONCILE = """
local v = redis.call('HMGET', KEYS[1], 's', 'r')
local s, r = tonumber(v[1] or '0'), tonumber(v[2] or '0')
if tonumber(ARGV[1]) > s then
  redis.call('HSET', KEYS[1], 's', ARGV[1])
  s = tonumber(ARGV[1])
  if redis.call('TTL', KEYS[1]) < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[3])
  end
end
if tonumber(ARGV[2]) < 0 and r > 0 then
  r = redis.call('HINCRBY', KEYS[1], 'r', ARGV[2])
  if r < 0 then
    redis.call('HSET', KEYS[1], 'r', 0)
    r = 0
  end
end
return {s, r}
"""


RAISE_MARKS = """
-- KEYS: marks; ARGV[1]: ttl seconds, ARGV[1+i]: the value for KEYS[i] (kept only when larger)
for i, key in ipairs(KEYS) do
  local held = redis.call('GET', key)
  if not held or tonumber(held) < tonumber(ARGV[1 + i]) then
    redis.call('SET', key, ARGV[1 + i], 'EX', ARGV[1])
  end
end
return 1
"""
