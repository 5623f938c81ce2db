/**
 * One script call per flush applies every symbol's newest state, refusing any
 * whose `ts` is older than the stored one (two collectors on the same symbols,
 * or a late flush after a reconnect, must never move a value back in time), keeps
 * the top-mover sets in step, and publishes exactly the states it applied.
 * Running it inside Redis makes the compare-and-set atomic without WATCH round trips.
 *
 * When a state opens a new persistence interval, the state it replaces (the
 * last of the previous interval) is kept in the field `prev`, so a collector
 * killed before it persisted that interval lets its successor write it
 * (see HistoryBatcher.resume); `|`-separated: ts, price, tradeTs, change_1m,
 * change_5m, change_15m, flags.
 *
 * KEYS: rank:1m, rank:5m, rank:15m, the symbol index, then one hash key per state.
 * ARGV: ttlSeconds, channel, persistence interval ms (0: no `prev`), then 8 values per state:
 *       symbol, ts, price, tradeTs, change_1m, change_5m, change_15m, flags
 *       (an empty change means unknown: the field is removed).
 * Returns the number of states applied.
 */
export const APPLY_RATES_SCRIPT = `
local ttl = tonumber(ARGV[1])
local channel = ARGV[2]
local interval = tonumber(ARGV[3])
local published = {}
local names = { 'change_1m', 'change_5m', 'change_15m' }
for i = 5, #KEYS do
  local a = 4 + (i - 5) * 8
  local symbol, ts, price, tradeTs, flags = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 7]
  local key = KEYS[i]
  local current = redis.call('HGET', key, 'ts')
  if (not current) or tonumber(current) <= tonumber(ts) then
    if current and interval > 0 and math.floor(tonumber(current) / interval) < math.floor(tonumber(ts) / interval) then
      local old = redis.call('HMGET', key, 'price', 'tradeTs', 'change_1m', 'change_5m', 'change_15m', 'flags')
      redis.call('HSET', key, 'prev', table.concat({ current, old[1] or '', old[2] or '', old[3] or '', old[4] or '', old[5] or '', old[6] or '' }, '|'))
    end
    redis.call('HSET', key, 'price', price, 'ts', ts, 'tradeTs', tradeTs, 'flags', flags)
    local message = { symbol = symbol, price = price, ts = ts, tradeTs = tradeTs, flags = flags }
    for w = 1, 3 do
      local value = ARGV[a + 3 + w]
      if value == '' then
        redis.call('HDEL', key, names[w])
        redis.call('ZREM', KEYS[w], symbol)
      else
        redis.call('HSET', key, names[w], value)
        redis.call('ZADD', KEYS[w], value, symbol)
        message[names[w]] = value
      end
    end
    redis.call('EXPIRE', key, ttl)
    redis.call('ZADD', KEYS[4], 0, symbol)
    published[#published + 1] = message
  end
end
if #published > 0 then
  redis.call('PUBLISH', channel, cjson.encode(published))
end
return #published
`;

/**
 * Removes rank and index members whose hash has expired (a symbol that stopped
 * updating) so the top-mover sets and the index never list symbols frontends
 * cannot read.
 * KEYS: rank:1m, rank:5m, rank:15m, the symbol index. ARGV: the hash key prefix (`rates:{exchange}:`).
 * Returns the number of members removed.
 */
export const SWEEP_RANKS_SCRIPT = `
local removed = 0
for w = 1, #KEYS do
  local members = redis.call('ZRANGE', KEYS[w], 0, -1)
  for _, symbol in ipairs(members) do
    if redis.call('EXISTS', ARGV[1] .. symbol) == 0 then
      redis.call('ZREM', KEYS[w], symbol)
      removed = removed + 1
    end
  end
end
return removed
`;
