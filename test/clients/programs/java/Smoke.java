// A session with Jedis (redis.clients:jedis), then one with Lettuce
// (io.lettuce:lettuce-core), printed a line per step: the languages test
// (test/clients/languages.test.ts) runs it against Nodis and against
// redis-server and compares the two outputs line for line.
//
//   java -cp 'target/dependency/*' Smoke.java PORT PROTOCOL      (PROTOCOL: 2 or 3)
import java.util.*;
import java.util.concurrent.*;
import java.util.function.Supplier;
import redis.clients.jedis.*;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.*;
import redis.clients.jedis.resps.*;

public class Smoke {
  static void show(String name, Object v) {
    System.out.println(name + ": " + v);
  }

  static void fails(String name, Supplier<Object> f) {
    try {
      show(name, f.get());
    } catch (JedisDataException e) {
      show(name, "error: " + e.getMessage());
    }
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    RedisProtocol protocol = args[1].equals("3") ? RedisProtocol.RESP3 : RedisProtocol.RESP2;
    JedisClientConfig config = DefaultJedisClientConfig.builder().protocol(protocol).build();
    HostAndPort at = new HostAndPort("127.0.0.1", port);
    try (Jedis r = new Jedis(at, config); Jedis other = new Jedis(at, config)) {
      r.flushAll();
      show("ping", r.ping());
      show("set", r.set("j:s", "bar"));
      show("get", r.get("j:s"));
      show("get missing", r.get("j:missing"));
      show("set nx", r.set("j:s", "baz", SetParams.setParams().nx()));
      show("set ex", r.set("j:t", "v", SetParams.setParams().ex(100)));
      show("ttl", r.ttl("j:t"));
      show("incrby", r.incrBy("j:n", 5));
      show("incrbyfloat", r.incrByFloat("j:f", 1.5));
      show("mget", r.mget("j:s", "j:n", "j:none"));
      fails("wrongtype", () -> r.lpush("j:s", "x"));
      fails("not an integer", () -> r.incr("j:s"));
      fails("unknown command", () -> r.sendCommand(() -> redis.clients.jedis.util.SafeEncoder.encode("NOSUCHCMD"), "x"));

      show("hset", r.hset("j:h", Map.of("f1", "v1", "f2", "v2")));
      show("hgetall", new TreeMap<>(r.hgetAll("j:h")));
      show("hincrby", r.hincrBy("j:h", "n", 3));
      show("hmget", r.hmget("j:h", "f1", "nope"));

      show("rpush", r.rpush("j:l", "a", "b", "c"));
      show("lrange", r.lrange("j:l", 0, -1));
      show("lpop count", r.lpop("j:l", 2));
      show("blpop timeout", r.blpop(0.1, "j:empty"));

      show("sadd", r.sadd("j:set", "x", "y", "z"));
      show("smembers", new TreeSet<>(r.smembers("j:set")));
      show("sismember", r.sismember("j:set", "y"));

      show("zadd", r.zadd("j:z", Map.of("a", 1.0, "b", 2.5, "c", 3.0)));
      List<String> zs = new ArrayList<>();
      for (Tuple t : r.zrangeWithScores("j:z", 0, -1)) zs.add(t.getElement() + "=" + t.getScore());
      show("zrange withscores", zs);
      show("zscore", r.zscore("j:z", "b"));

      show("xadd", r.xadd("j:x", new StreamEntryID(1, 1), Map.of("k", "v")));
      List<String> xs = new ArrayList<>();
      for (StreamEntry e : r.xrange("j:x", "-", "+")) xs.add(e.getID() + " " + e.getFields());
      show("xrange", xs);
      show("xgroup create", r.xgroupCreate("j:x", "g", new StreamEntryID(0, 0), false));
      var read = r.xreadGroupAsMap("g", "c1", XReadGroupParams.xReadGroupParams().count(1), Map.of("j:x", StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
      List<String> got = new ArrayList<>();
      for (var e : read.entrySet()) for (StreamEntry s : e.getValue()) got.add(e.getKey() + " " + s.getID() + " " + s.getFields());
      show("xreadgroup", got);

      Pipeline p = r.pipelined();
      Response<String> p1 = p.set("j:p", "1");
      Response<Long> p2 = p.incr("j:p");
      Response<String> p3 = p.get("j:p");
      p.sync();
      show("pipeline", List.of(p1.get(), p2.get(), p3.get()));
      Transaction tx = r.multi();
      tx.set("j:t1", "a");
      tx.append("j:t1", "b");
      tx.get("j:t1");
      show("multi/exec", tx.exec());

      // WATCH: a change by another connection aborts the transaction (EXEC answers null).
      r.watch("j:w");
      other.set("j:w", "changed");
      Transaction w = r.multi();
      w.set("j:w", "mine");
      show("watch aborted", w.exec());
      show("after watch", r.get("j:w"));

      show("eval", r.eval("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}", List.of("j:e"), List.of("arg")));
      String sha = r.scriptLoad("return redis.call('GET', KEYS[1])");
      show("evalsha", r.evalsha(sha, List.of("j:s"), List.of()));
      fails("eval error", () -> r.eval("return redis.call('LPUSH', KEYS[1], 'x')", List.of("j:s"), List.of()));

      TreeSet<String> keys = new TreeSet<>();
      String cursor = "0";
      do {
        var page = r.scan(cursor, new ScanParams().match("j:[hl]"));
        keys.addAll(page.getResult());
        cursor = page.getCursor();
      } while (!cursor.equals("0"));
      show("scan", keys);
      show("exists", r.exists("j:s", "j:h", "j:none"));
      show("type", r.type("j:z"));

      // Pub/sub: a subscriber on its own connection gets a message published after it subscribed.
      List<String> events = Collections.synchronizedList(new ArrayList<>());
      JedisPubSub listener = new JedisPubSub() {
        @Override public void onSubscribe(String channel, int count) {
          events.add("subscribe " + channel + " " + count);
          other.publish("j:chan", "hello");
        }
        @Override public void onMessage(String channel, String message) {
          events.add("message " + channel + " " + message);
          unsubscribe();
        }
      };
      try (Jedis sub = new Jedis(at, config)) {
        sub.subscribe(listener, "j:chan");
      }
      show("pubsub", events);

      // A blocked BLPOP served by a push from another connection.
      Thread pusher = new Thread(() -> {
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
        other.rpush("j:q", "job");
      });
      pusher.start();
      show("blpop served", r.blpop(10, "j:q"));
      pusher.join();
      show("dbsize", r.dbSize());
    }
    lettuceSession(port, args[1].equals("3"));
    System.out.println("done");
  }

  // Lettuce (io.lettuce:lettuce-core, Spring Data Redis's default client): Netty, RESP3 unless told 2.
  // Its names are written in full: Jedis has a RedisClient too.
  static void lettuceSession(int port, boolean resp3) throws Exception {
    var pv = resp3 ? io.lettuce.core.protocol.ProtocolVersion.RESP3 : io.lettuce.core.protocol.ProtocolVersion.RESP2;
    var client = io.lettuce.core.RedisClient.create(io.lettuce.core.RedisURI.create("127.0.0.1", port));
    client.setOptions(io.lettuce.core.ClientOptions.builder().protocolVersion(pv).build());
    try (var conn = client.connect()) {
      var c = conn.sync();
      show("lettuce set", c.set("lt:k", "v"));
      show("lettuce get", c.get("lt:k"));
      show("lettuce hset", c.hset("lt:h", Map.of("a", "1")));
      show("lettuce hgetall", new TreeMap<>(c.hgetall("lt:h")));
      show("lettuce zadd", c.zadd("lt:z", 1.5, "m"));
      show("lettuce zrange withscores", c.zrangeWithScores("lt:z", 0, -1));
      try {
        c.incr("lt:k");
      } catch (io.lettuce.core.RedisCommandExecutionException e) {
        show("lettuce error", e.getMessage());
      }
      c.multi();
      c.incr("lt:n");
      c.incr("lt:n");
      show("lettuce multi/exec", c.exec().stream().toList());
      show("lettuce eval", c.eval("return {KEYS[1], 7}", io.lettuce.core.ScriptOutputType.MULTI, "lt:e"));
      // Pipelining: commands queued without a flush, then sent together.
      conn.setAutoFlushCommands(false);
      var a = conn.async();
      var f1 = a.incr("lt:p");
      var f2 = a.incr("lt:p");
      conn.flushCommands();
      conn.setAutoFlushCommands(true);
      show("lettuce pipeline", List.of(f1.get(10, TimeUnit.SECONDS), f2.get(10, TimeUnit.SECONDS)));
      try (var sub = client.connectPubSub()) {
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        sub.addListener(new io.lettuce.core.pubsub.RedisPubSubAdapter<String, String>() {
          @Override public void message(String channel, String message) {
            got.add(channel + " " + message);
          }
        });
        sub.sync().subscribe("lt:chan");
        show("lettuce publish", c.publish("lt:chan", "hi"));
        show("lettuce message", got.poll(10, TimeUnit.SECONDS));
      }
    } finally {
      client.shutdown(java.time.Duration.ZERO, java.time.Duration.ofSeconds(2));
    }
  }
}
