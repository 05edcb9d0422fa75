"""Lua versions of ``cache.protection.models``, one atomic step per request.

Time is the server's ``TIME`` unless the caller passes ``now`` (tests, simulations), so
machines with drifting clocks still share one budget. Redis 6.2 commands only; scripts
are replicated by effects (the default since Redis 5), so calling TIME before writing is safe.
"""

from __future__ import annotations

_NOW = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
"""

# KEYS: pause, breaker, gcra, sem, aimd
# ARGV: now|'', interval, burst, token, lease, default_limit, reset_timeout, probe_ttl
# Returns {wait_seconds, reason}; wait 0 means admitted (reason ok or probe).
_ACQUIRE = """
local paused_until = tonumber(redis.call('GET', KEYS[1]) or '0')
if paused_until > now then return {tostring(paused_until - now), 'paused'} end
local probe = false
local opened = tonumber(redis.call('HGET', KEYS[2], 'opened_at') or '')
if opened then
  local reset = tonumber(ARGV[7])
  if now - opened < reset then return {tostring(opened + reset - now), 'open'} end
  local probe_until = tonumber(redis.call('HGET', KEYS[2], 'probe_until') or '0')
  if probe_until > now then return {tostring(math.min(probe_until - now, 0.25)), 'probing'} end
  probe = true
end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local limit = math.floor(tonumber(redis.call('HGET', KEYS[5], 'limit') or ARGV[6]))
if limit < 1 then limit = 1 end
if probe then limit = 1 end
if redis.call('ZCARD', KEYS[4]) >= limit then return {'0.02', 'concurrency'} end
local interval = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[3]) or '0')
if tat < now then tat = now end
local allowed_at = tat - (tonumber(ARGV[3]) - 1) * interval
if allowed_at - now > 1e-6 then return {tostring(allowed_at - now), 'rate'} end
local new_tat = tat + interval
redis.call('SET', KEYS[3], string.format('%.6f', new_tat),
           'PX', math.ceil((new_tat - now) * 1000) + 60000)
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[5]), ARGV[4])
if probe then
  redis.call('HSET', KEYS[2], 'probe_until', string.format('%.6f', now + tonumber(ARGV[8])))
  return {'0', 'probe'}
end
return {'0', 'ok'}
"""
ACQUIRE = _NOW + _ACQUIRE

# The outcome of one request: frees its lease, moves the AIMD limit and the breaker,
# pauses the provider on Retry-After. Returns the AIMD limit. ``k``: the keys (sem, aimd,
# breaker, pause); ``a``: lease, aimd min, max, increase, decrease, cooldown,
# default_limit, breaker threshold, reset_timeout (all numbers).
_REPORT_FN = """
local function report(k, token, outcome, pause_s, a)
  local score = redis.call('ZSCORE', k.sem, token)
  local started = now
  if score then started = tonumber(score) - a.lease end
  redis.call('ZREM', k.sem, token)
  local limit = tonumber(redis.call('HGET', k.aimd, 'limit') or a.default)
  if outcome == 'ok' then
    limit = math.min(a.max, limit + a.increase / math.max(limit, 1))
    redis.call('HSET', k.aimd, 'limit', string.format('%.4f', limit))
    local paused_at = tonumber(redis.call('HGET', k.breaker, 'paused_at') or '-1')
    -- a success of a request sent before the last pause says nothing about upstream now
    if started >= paused_at then
      redis.call('HSET', k.breaker, 'failures', 0)
      redis.call('HDEL', k.breaker, 'opened_at', 'probe_until')
    end
  elseif outcome == 'congestion' then
    local last_cut = tonumber(redis.call('HGET', k.aimd, 'last_cut') or '-1e18')
    if now - last_cut >= a.cooldown then
      limit = math.max(a.min, limit * a.decrease)
      redis.call('HSET', k.aimd, 'limit', string.format('%.4f', limit),
                 'last_cut', string.format('%.6f', now))
    end
    local failures = redis.call('HINCRBY', k.breaker, 'failures', 1)
    local probing = redis.call('HGET', k.breaker, 'probe_until')
    if probing or failures >= a.threshold then
      redis.call('HSET', k.breaker, 'opened_at', string.format('%.6f', now),
                 'paused_at', string.format('%.6f', now))
      redis.call('HDEL', k.breaker, 'probe_until')
    end
    if pause_s ~= '' then
      local pause = tonumber(pause_s)
      if tonumber(redis.call('GET', k.pause) or '0') < now + pause then
        redis.call('SET', k.pause, string.format('%.6f', now + pause),
                   'PX', math.ceil(pause * 1000))
      end
      -- when the pause ends, one probe goes first: half-open exactly at the pause's end
      redis.call('HSET', k.breaker, 'opened_at',
                 string.format('%.6f', now + pause - a.reset),
                 'paused_at', string.format('%.6f', now))
      redis.call('HDEL', k.breaker, 'probe_until')
    end
  end
  return limit
end

local function report_args(first)
  local a = {}
  for i, name in ipairs({'lease', 'min', 'max', 'increase', 'decrease', 'cooldown', 'default',
                         'threshold', 'reset'}) do
    a[name] = tonumber(ARGV[first + i - 1])
  end
  return a
end
"""

# KEYS: sem, aimd, breaker, pause
# ARGV: now|'', token, outcome (ok|congestion|neutral), pause seconds|'', lease,
#       aimd min, max, increase, decrease, cooldown, default_limit,
#       breaker threshold, reset_timeout
# Returns {limit, breaker state}.
REPORT = _NOW + _REPORT_FN + """
local k = {sem = KEYS[1], aimd = KEYS[2], breaker = KEYS[3], pause = KEYS[4]}
local limit = report(k, ARGV[2], ARGV[3], ARGV[4], report_args(5))
local state = 'closed'
if redis.call('HEXISTS', KEYS[3], 'opened_at') == 1 then state = 'open' end
return {string.format('%.4f', limit), state}
"""

# KEYS: pause, breaker, gcra, sem, aimd (as ACQUIRE)
# ARGV: ACQUIRE's 8, then aimd min, max, increase, decrease, cooldown, breaker threshold,
#       then the tokens of successful requests not reported yet.
# Reports each token 'ok' (as REPORT), then tries to admit ARGV[4] as ACQUIRE does; an
# empty ARGV[4] only reports. One round trip instead of one per request and outcome.
REPORT_OK_THEN_ACQUIRE = _NOW + _REPORT_FN + """
local k = {sem = KEYS[4], aimd = KEYS[5], breaker = KEYS[2], pause = KEYS[1]}
local a = {lease = tonumber(ARGV[5]), min = tonumber(ARGV[9]), max = tonumber(ARGV[10]),
           increase = tonumber(ARGV[11]), decrease = tonumber(ARGV[12]),
           cooldown = tonumber(ARGV[13]), default = tonumber(ARGV[6]),
           threshold = tonumber(ARGV[14]), reset = tonumber(ARGV[7])}
for i = 15, #ARGV do report(k, ARGV[i], 'ok', '', a) end
if ARGV[4] == '' then return {'0', 'reported'} end
""" + _ACQUIRE
