"""Lua scripts, kept together so every atomic rule of the store is reviewable in one file.

Only Redis 6.2 commands are used (the embedded server is 6.2).
"""

from __future__ import annotations

# KEYS: availability hash, dirty set
# ARGV: location_id, checked_at, status, digest, slots (cache.slot_codec text), message,
#       phone, valid_at (or ""), is_error
# Returns {outcome, slots, changed_at, last_ok_at, valid_at, phone}: the stored fields the
# caller cannot know, so it needs no read-back. slots: the previous ones when changed, the
# kept ones when failed. outcome: stale|failed|unchanged|recovered|changed.
WRITE_AVAILABILITY = """
local cur = redis.call('HMGET', KEYS[1], 'checked_at', 'digest', 'valid_at', 'status', 'slots',
                       'changed_at', 'last_ok_at', 'phone')
local checked = tonumber(ARGV[2])
if cur[1] and tonumber(cur[1]) > checked then return {'stale'} end
if ARGV[8] ~= '' and cur[3] and cur[3] ~= '' and tonumber(cur[3]) > tonumber(ARGV[8]) then
  return {'stale'}
end
if ARGV[9] == '1' then
  redis.call('HSET', KEYS[1], 'checked_at', ARGV[2], 'status', 'error', 'message', ARGV[6],
             'location_id', ARGV[1])
  if cur[4] ~= 'error' then redis.call('SADD', KEYS[2], ARGV[1]) end
  return {'failed', cur[5] or '', cur[6] or '', cur[7] or '', cur[3] or '', cur[8] or ''}
end
local valid = ARGV[8]
if valid == '' then valid = ARGV[2] end
if cur[2] == ARGV[4] then
  redis.call('HSET', KEYS[1], 'checked_at', ARGV[2], 'valid_at', valid, 'last_ok_at', ARGV[2])
  local outcome = 'unchanged'
  if cur[4] == 'error' then
    redis.call('HSET', KEYS[1], 'status', ARGV[3], 'message', ARGV[6])
    redis.call('SADD', KEYS[2], ARGV[1])
    outcome = 'recovered'
  end
  return {outcome, '', cur[6] or '', ARGV[2], valid, ARGV[7]}
end
redis.call('HSET', KEYS[1], 'location_id', ARGV[1], 'checked_at', ARGV[2], 'status', ARGV[3],
           'digest', ARGV[4], 'slots', ARGV[5], 'message', ARGV[6], 'phone', ARGV[7],
           'valid_at', valid, 'changed_at', ARGV[2], 'last_ok_at', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return {'changed', cur[5] or '', ARGV[2], ARGV[2], valid, ARGV[7]}
"""

# KEYS: due zset, leases hash
# ARGV: now, limit, lease_seconds, token
# Claims up to `limit` due ids by pushing their score to the lease expiry: a crashed
# worker's claims fall due again on their own once the lease runs out.
CLAIM_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local expiry = tonumber(ARGV[1]) + tonumber(ARGV[3])
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], expiry, id)
  redis.call('HSET', KEYS[2], id, ARGV[4])
end
return ids
"""

# KEYS: due zset, leases hash
# ARGV: id, token, next_due
# Reschedules only if this worker still holds the lease; returns 1 if it did.
COMPLETE_DUE = """
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), ARGV[1])
end
return 1
"""

# KEYS: lock key.  ARGV: token, ttl_ms.  Acquire or renew a fleet-wide singleton lock.
ACQUIRE_OR_RENEW_LOCK = """
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
"""

# KEYS: lock key.  ARGV: token.
RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
