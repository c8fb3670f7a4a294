using StackExchange.Redis;

namespace Gateway.Grains.Caching;

/// <summary>
/// Entries in Redis, shared by every silo, each with its TTL; a sorted set per tenant (scored by expiry) bounds how many
/// entries the tenant holds, dropping the ones closest to expiry first, in one script so that concurrent writers of a
/// tenant cannot overshoot.
/// </summary>
public sealed class RedisResponseCacheStore(Func<Task<IConnectionMultiplexer>> connect, TimeProvider time) : IResponseCacheStore
{
    private const string Prefix = "gw:cache:";

    private static readonly LuaScript Store = LuaScript.Prepare("""
        redis.call('SET', @key, @value, 'PX', @ttl)
        redis.call('ZADD', @index, @expires, @key)
        redis.call('ZREMRANGEBYSCORE', @index, '-inf', @now)
        redis.call('PEXPIRE', @index, @ttl)
        local over = redis.call('ZCARD', @index) - tonumber(@max)
        if over > 0 then
          local oldest = redis.call('ZPOPMIN', @index, over)
          for i = 1, #oldest, 2 do redis.call('DEL', oldest[i]) end
        end
        return 0
        """);

    private Task<IConnectionMultiplexer>? _connection;

    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync();
        var value = await database.StringGetAsync(Prefix + key);
        return value.HasValue ? (byte[]?)value : null;
    }

    public async Task SetAsync(string tenantId, string key, byte[] value, TimeSpan ttl, int maxEntries, CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var ttlMs = Math.Max(1L, (long)ttl.TotalMilliseconds);
        await database.ScriptEvaluateAsync(Store, new
        {
            key = (RedisKey)(Prefix + key),
            index = (RedisKey)(Prefix + "tenant:" + tenantId),
            value = (RedisValue)value,
            ttl = ttlMs,
            expires = now + ttlMs,
            now,
            max = maxEntries,
        });
    }

    private async Task<IDatabase> DatabaseAsync()
    {
        var connection = _connection;
        if (connection is null || connection.IsFaulted)
        {
            // One connection attempt at a time; a failed one is tried again by the next call.
            var attempt = connect();
            connection = Interlocked.CompareExchange(ref _connection, attempt, connection) == connection ? attempt : _connection!;
        }

        return (await connection).GetDatabase();
    }
}
